"""No import cycle anywhere under ``src/civicgrid``: no module reaches itself through the modules
it imports, counting package ``__init__`` modules, imports inside functions (a cycle dodged by a
late import is still a cycle) and imports made only for type checking."""

from __future__ import annotations

from collections.abc import Iterator

import grimp


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import one another in a ring (strongly connected components
    of more than one module, and modules importing themselves), each sorted."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # Tarjan's algorithm, iterative (the graph has long import chains).
        work: list[tuple[str, Iterator[str]]] = []

        def enter(module: str) -> None:
            order[module] = low[module] = len(order)
            stack.append(module)
            on_stack.add(module)
            work.append((module, iter(sorted(graph.find_modules_directly_imported_by(module)))))

        enter(start)
        while work:
            module, imported = work[-1]
            child = next(imported, None)
            if child is not None:
                if child not in order:
                    enter(child)
                elif child in on_stack:
                    low[module] = min(low[module], order[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == order[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1 or graph.direct_import_exists(importer=module, imported=module):
                    groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return sorted(groups)


def test_no_import_cycle_under_src() -> None:
    graph = grimp.build_graph("civicgrid", exclude_type_checking_imports=False)
    assert len(graph.modules) > 100  # the whole package was read
    assert import_cycles(graph) == []


def test_a_ring_through_a_package_init_and_a_late_import_is_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("app", "app.web", "app.web.pages", "app.web.render", "app.kit"):
        graph.add_module(module)
    graph.add_import(importer="app.web", imported="app.web.pages")  # the package init
    graph.add_import(importer="app.web.pages", imported="app.web.render")
    graph.add_import(
        importer="app.web.render",
        imported="app.web",
        line_number=30,
        line_contents="from app import web",
    )  # a late import inside a function
    graph.add_import(importer="app.web.pages", imported="app.kit")
    assert import_cycles(graph) == [["app.web", "app.web.pages", "app.web.render"]]


def test_a_chain_without_a_ring_is_no_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="a", imported="c")
    assert import_cycles(graph) == []
