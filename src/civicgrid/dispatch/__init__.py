"""Dispatch (派单): the catalogue of appeal categories and the text classifier.

Public entry points: :func:`.catalogue.load_default_catalogue`, :func:`.classifier.train`,
:class:`.classifier.Classifier`, :func:`.artifacts.load_model` / :func:`.artifacts.save_model`.
Submodules are imported on demand so that loading the catalogue does not pull in
scikit-learn and jieba.
"""
