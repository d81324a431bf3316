"""Annual community service projects: application, review, claim, execution, spending and
evaluation."""
