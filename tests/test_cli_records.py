"""``case edit|history|close|reopen``, ``incident edit|remove``, ``person edit|remove`` on
the demo store, as the demo's Thanet supervisor."""

from __future__ import annotations

import json

from test_cli import assert_one_line_error, run  # noqa: F401 - the fixture


def thanet_case(run, demo_path) -> dict:  # noqa: F811
    listed = json.loads(run("--db", demo_path, "case", "list", "--district", "THA",
                            "--limit", "20", "--json").stdout)
    for row in listed:
        detail = json.loads(run("--db", demo_path, "case", "show", row["ref"], "--json").stdout)
        if detail["incidents"] and detail["parties"]:
            return detail
    raise AssertionError("no Thanet case with incidents and people")


def test_a_wrong_entry_is_corrected_from_the_command_line(run, demo_path) -> None:  # noqa: F811
    case = thanet_case(run, demo_path)
    ref, person, first = case["ref"], case["parties"][0], case["incidents"][0]
    done = run("--db", demo_path, "case", "edit", ref, "--category", "personal",
               "--postcode", "ct9 1aa")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == f"Corrected {ref}: category, postcode."
    assert_one_line_error(run("--db", demo_path, "person", "edit", person["id"], "--name",
                              "Someone Else", "--reason", " "))
    fixed = run("--db", demo_path, "person", "edit", person["id"][:8], "--not-vulnerable",
                "--name", "Someone Else", "--reason", "Name misheard on the phone")
    assert fixed.exit_code == 0, fixed.stderr
    error = assert_one_line_error(run("--db", demo_path, "incident", "edit", first["id"],
                                      "--when", "01/01/2026 10:00"))
    assert "reason" in error
    assert run("--db", demo_path, "incident", "edit", first["id"], "--when", "01/01/2026 10:00",
               "--reason", "Wrong year").exit_code == 0
    assert run("--db", demo_path, "incident", "remove", first["id"], "--reason",
               "Entered twice").exit_code == 0
    history = json.loads(run("--db", demo_path, "case", "history", ref, "--json").stdout)
    fields = [(h["record_type"], h["field"]) for h in history]
    assert ("case", "category") in fields and ("person", "name") in fields
    assert ("incident", "date and time") in fields and ("incident", "removed") in fields
    removed = next(h for h in history if h["removed"])
    assert removed["reason"] == "Entered twice" and removed["by"] == "sup.thanet"
    after = json.loads(run("--db", demo_path, "case", "show", ref, "--json").stdout)
    assert after["category"] == "personal" and after["postcode"] == "CT9 1AA"
    assert first["id"] not in [i["id"] for i in after["incidents"]]
    timeline = json.loads(run("--db", demo_path, "case", "timeline", ref, "--json").stdout)
    assert {"correction", "removal"} <= {e["kind"] for e in timeline}
    text = run("--db", demo_path, "case", "history", ref).stdout
    assert "Corrected category of the case: Nuisance → Personal" in text or \
        "Corrected category of the case:" in text


def test_bad_input_is_one_plain_line(run, demo_path) -> None:  # noqa: F811
    case = thanet_case(run, demo_path)
    assert "Say what to correct" in assert_one_line_error(
        run("--db", demo_path, "case", "edit", case["ref"]))
    assert "not a category" in assert_one_line_error(
        run("--db", demo_path, "case", "edit", case["ref"], "--category", "bogus"))
    assert "no incident" in assert_one_line_error(
        run("--db", demo_path, "incident", "remove", "0000000000", "--reason", "x"))
    assert "not a date" in assert_one_line_error(
        run("--db", demo_path, "person", "edit", case["parties"][0]["id"], "--dob", "32-13",
            "--reason", "x"))
    assert_one_line_error(run("--db", demo_path, "incident", "remove", "abc"), code=2)


def test_closing_and_reopening_from_the_command_line(run, demo_path) -> None:  # noqa: F811
    ref = thanet_case(run, demo_path)["ref"]
    assert "victim was asked" in assert_one_line_error(run(
        "--db", demo_path, "case", "close", ref, "--reason", "resolved", "--summary", "Done"))
    closed = run("--db", demo_path, "case", "close", ref, "--reason", "resolved", "--summary",
                 "Music stopped after a CPW", "--victim-asked", "--satisfaction", "satisfied")
    assert closed.exit_code == 0, closed.stderr
    shown = json.loads(run("--db", demo_path, "case", "show", ref, "--json").stdout)
    assert shown["next_review"] is None and shown["victim_satisfaction"] == "satisfied"
    assert "Music stopped after a CPW" in run("--db", demo_path, "case", "show", ref).stdout
    assert run("--db", demo_path, "case", "reopen", ref, "--reason",
               "New reports").exit_code == 0
    assert json.loads(run("--db", demo_path, "case", "show", ref,
                          "--json").stdout)["status"] == "open"
