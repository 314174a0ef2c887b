"""The pure parts: the objection deadline and the text diff (no database)."""

from datetime import UTC, datetime

import pytest

from trunkline.terms.domain.deadline import objection_deadline
from trunkline.terms.domain.diff import text_diff


@pytest.mark.rule("PT-3.2")
def test_the_objection_period_ends_at_the_end_of_the_seventh_day_after_sending():
    """Sent at 10:00 on 2 March in Sofia: objections are on time until midnight after 9 March, Sofia time."""
    deadline = objection_deadline(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "Europe/Sofia")
    assert deadline == datetime(2026, 3, 9, 22, 0, tzinfo=UTC)


@pytest.mark.rule("PT-3.2")
def test_the_day_of_sending_is_the_local_day_not_the_utc_day():
    """At 23:30 UTC on 1 March it is already 2 March in Sofia, so the seven days start on 3 March."""
    deadline = objection_deadline(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Europe/Sofia")
    assert deadline == datetime(2026, 3, 9, 22, 0, tzinfo=UTC)


def test_the_deadline_follows_the_change_to_summer_time():
    """A period across the last Sunday of March ends at local midnight, which is then 21:00 UTC."""
    deadline = objection_deadline(datetime(2026, 3, 25, 9, 0, tzinfo=UTC), "Europe/Sofia")
    assert deadline == datetime(2026, 4, 1, 21, 0, tzinfo=UTC)


def test_a_naive_time_is_refused():
    """A time without a zone cannot start a legal period."""
    with pytest.raises(ValueError, match="timezone-aware"):
        objection_deadline(datetime(2026, 3, 2, 10, 0), "Europe/Sofia")


def test_the_diff_marks_changed_words_added_and_removed_lines():
    """One changed line shows the removed and added words; a new line is an insert; a dropped line a delete."""
    old = "1. Fees are billed monthly.\n2. Support on weekdays.\n3. Old clause."
    new = "1. Fees are billed yearly.\n2. Support on weekdays.\n4. New clause <b>bold</b>.\n5. Extra."
    diff = text_diff(old, new)
    kinds = [row.kind for row in diff.rows]
    assert kinds == ["replace", "equal", "replace", "insert"]
    assert diff.rows[0].old_html == "1. Fees are billed <del>monthly</del>."
    assert diff.rows[0].new_html == "1. Fees are billed <ins>yearly</ins>."
    assert "&lt;b&gt;bold&lt;/b&gt;" in diff.rows[2].new_html  # the text is escaped, never raw HTML
    assert diff.rows[3].new_html == "<ins>5. Extra.</ins>"
    assert (diff.changed, diff.added, diff.removed) == (2, 1, 0)


def test_long_unchanged_runs_are_folded():
    """Between two changes far apart, only two lines of context stay on each side."""
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 1\n", "line one\n", 1).replace("line 20", "line twenty")
    diff = text_diff(old, new)
    skips = [row for row in diff.rows if row.kind == "skip"]
    assert [row.skipped for row in skips] == [14]
    same = text_diff(old, old)
    assert same.is_empty
    assert [(row.kind, row.skipped) for row in same.rows] == [("skip", 20)]
