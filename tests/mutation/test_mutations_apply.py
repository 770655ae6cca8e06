"""The hand mutations (run_scope_mutations.py, run by hand) still fit the code: each one's
original text occurs exactly once, so none is reported "NOT APPLIED" after the code moves."""

from tests.mutation.run_scope_mutations import MUTATIONS, ROOT


def test_every_mutation_finds_its_text_exactly_once():
    stale = [
        name
        for name, path, original, _ in MUTATIONS
        if (ROOT / path).read_text(encoding="utf-8").count(original) != 1
    ]
    assert stale == []


def test_every_mutation_changes_its_text():
    assert all(original != mutated for _, _, original, mutated in MUTATIONS)
    assert len({name for name, *_ in MUTATIONS}) == len(MUTATIONS)
