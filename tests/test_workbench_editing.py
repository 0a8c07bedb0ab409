"""Editing like an editor, through the real app and real key presses: every cursor key moves the
cursor and the typed text lands there; selection, undo and redo; the way back to the editor;
Tab and Escape; the dialogs' buttons; completion and snippets; the syntax messages for an unclosed
`(` and a name written with spaces."""

from __future__ import annotations

from pathlib import Path

from dsl.checker import check_source
from dsl.parser import parse
from test_workbench import SIZE, after_typing, line_index, make_app, pilot_test, settle
from workbench.screens.dialogs import ConfirmDialog, TextDialog
from workbench.widgets.diagnostics import DiagnosticsList


def line_of(app, row: int) -> str:
    return app.main_screen.editor.document[row]


async def at_line(pilot, fragment: str):
    """Once the app is up, the cursor at the start of the first line holding `fragment`."""
    await settle(pilot)
    editor = pilot.app.main_screen.editor
    row = line_index(editor.text, fragment)
    editor.move_cursor((row, 0))
    return editor, row


@pilot_test
async def test_cursor_keys_move_the_cursor_and_typing_lands_there(workspace: Path) -> None:
    app = make_app(workspace)
    original = workspace.read_text().split("\n")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = app.main_screen.editor
        await pilot.press("down", "down", "down", "end", "Z")
        assert editor.cursor_location == (3, len(original[3]) + 1) and line_of(app, 3) == original[3] + "Z"
        await pilot.press("home", "A")
        assert line_of(app, 3) == "A" + original[3] + "Z"
        await pilot.press("up", "right", "right", "B")
        assert line_of(app, 2) == original[2][:3] + "B" + original[2][3:]  # up keeps column 1, then two right
        await pilot.press("pagedown")
        row = editor.cursor_location[0]
        assert row > 10
        await pilot.press("C")
        assert line_of(app, row).startswith(original[row][:editor.cursor_location[1] - 1] + "C")
        await pilot.press("pageup")
        assert editor.cursor_location[0] < row
        await pilot.press("ctrl+end", "D")
        assert editor.text.endswith("D") and editor.cursor_location == editor.document.end
        await pilot.press("ctrl+home", "E")
        assert editor.text.startswith("E#") and editor.cursor_location == (0, 1)
        await pilot.press("ctrl+right", "ctrl+right")  # two words to the right, then type
        _, column = editor.cursor_location
        assert column > 3 and not line_of(app, 0)[column - 1].isspace()
        await pilot.press("F")
        assert line_of(app, 0)[column] == "F"
        await pilot.press("alt+left")  # word moves the way terminals send them too
        _, left = editor.cursor_location
        assert left <= column
        await pilot.press("G")
        assert line_of(app, 0)[left] == "G"


@pilot_test
async def test_shift_selection_replaced_by_typing_and_undo_redo(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        editor, row = await at_line(pilot, 'policy "')
        await pilot.press("shift+end")
        assert editor.selected_text == editor.document[row]
        await pilot.press(*"policy \"Shop\"")
        assert editor.document[row] == 'policy "Shop"'
        await pilot.press("shift+left", "shift+left", "shift+left")
        assert editor.selected_text == 'op"'
        await pilot.press("ctrl+z")
        assert editor.document[row] != 'policy "Shop"'
        await pilot.press("ctrl+y")
        assert editor.document[row] == 'policy "Shop"'
        await pilot.press("ctrl+shift+home")
        assert editor.selection.end == (0, 0) and editor.selected_text.endswith('policy "Shop"')
        await pilot.press("ctrl+end", "shift+pageup")
        assert editor.selection.start == editor.document.end and editor.selection.end[0] < editor.document.end[0]


@pilot_test
async def test_f8_returns_to_the_editor_from_any_pane_and_the_footer_shows_it(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = {binding.binding.key: binding.binding.description for binding in app.active_bindings.values()
                 if binding.binding.show}
        assert shown.get("f8") == "Editor"
        for pane in ("f2", "f3", "f4", "f5"):
            await pilot.press(pane)
            await settle(pilot)
            await pilot.press("escape", "tab")  # out of the editor, into the panes
            assert not app.main_screen.editor.has_focus
            await pilot.press("f8")
            assert app.main_screen.editor.has_focus


@pilot_test
async def test_tab_indents_in_the_editor_escape_leaves_it_and_tab_moves_between_panes(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        editor, row = await at_line(pilot, "  offer up to $25")
        await pilot.press("tab")
        assert editor.document[row] == "    offer up to $25"
        await pilot.press("shift+tab")
        assert editor.document[row] == "  offer up to $25" and editor.has_focus
        await pilot.press("escape")
        first = app.focused
        assert first is not None and first is not editor
        await pilot.press("tab")
        second = app.focused
        assert second is not first and second is not editor
        await pilot.press("shift+tab")
        assert app.focused is first
        await pilot.press("shift+tab")
        assert app.focused is editor


@pilot_test
async def test_left_and_right_move_between_a_dialogs_buttons(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x", "ctrl+q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert app.focused.id == "answer-save"
        await pilot.press("right")
        assert app.focused.id == "answer-discard"
        await pilot.press("right", "left", "left")
        assert app.focused.id == "answer-save"
        await pilot.press("escape")
        await settle(pilot)
        app.action_save_with_message()
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"ab", "left", "c")  # in the text field, Left moves the caret
        assert app.screen.query_one("#dialog-input").value == "acb"
        await pilot.press("tab", "right")
        assert app.focused.id == "dialog-cancel"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, TextDialog)


@pilot_test
async def test_completion_of_fields_lets_roles_and_values(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        editor, row = await at_line(pilot, 'rule "Wrong item"')
        await pilot.press("enter", "up")
        for typed, completed in (("  when miles_d", "  when miles_driven"), (" and situation is wrong_a", " and situation is wrong_address"),
                                 (" and prof", " and profit")):
            await pilot.press(*typed)
            assert editor.suggestion == completed[len(typed):]
            await pilot.press("tab")
        assert editor.document[row] == "  when miles_driven and situation is wrong_address and profit"
        editor.move_cursor((row, len(editor.document[row])))
        await pilot.press("enter", *"  escalate to sup")
        assert editor.suggestion == "ervisor"
        await pilot.press("right")  # Right takes a suggestion too
        assert editor.document[row + 1] == "  escalate to supervisor"


@pilot_test
async def test_snippets_for_a_rule_an_entitlement_a_route_and_an_authority_chain(tmp_path: Path) -> None:
    policy = tmp_path / "new.policy"
    policy.write_text('policy "New"\nversion "1"\ncurrency USD\n\ncase\n  price: money\n\n')
    app = make_app(policy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = app.main_screen.editor
        editor.action_cursor_document_end()
        await pilot.press(*"authority", "tab")
        assert editor.selected_text == "clerk"
        editor.action_cursor_document_end()
        await pilot.press("enter", *"route", "tab", *"Legal")
        editor.action_cursor_document_end()
        await pilot.press("enter", *"entitlement", "tab", *"Refund")
        editor.action_cursor_document_end()
        await pilot.press("enter", *"rule", "tab")
        assert editor.selected_text == "NAME"
        await pilot.press(*"Late")
        text = editor.text
        assert 'route "Legal" when CONDITION' in text and 'entitlement "Refund"' in text and 'rule "Late"' in text
        assert "  clerk up to $50\n  supervisor up to $200\n  manager" in text
        # With real conditions in place, the snippets make a policy that checks.
        app.main_screen.replace_text(text.replace("CONDITION", "price > $10"))
        await after_typing(pilot)
        assert app.main_screen.checked.ok, app.main_screen.checked.diagnostics
        assert app.main_screen.checked.diagnostics == check_source(editor.text, str(policy)).diagnostics


HEADER = 'policy "p"\nversion "1"\ncurrency USD\ncase\n  price: money\n'


def test_an_unclosed_parenthesis_is_reported_once_at_the_parenthesis() -> None:
    diagnostics = parse(HEADER + 'rule "r"\n  when (price > $5\n  offer up to $5\n  say "hi"\nrule "s"\n  offer nothing\n').diagnostics
    assert [(d.line, d.column, d.message) for d in diagnostics] == [(7, 8, "this `(` is never closed")]
    at_the_end = parse(HEADER + 'rule "r"\n  offer up to min(price, $5\n').diagnostics
    assert [(d.line, d.column, d.message) for d in at_the_end] == [(7, 18, "this `(` is never closed")]
    # A `(` closed on a later line is fine, and one inside a quoted text is no parenthesis.
    assert parse(HEADER + 'rule "r"\n  when (price > $5 and\n  price < $6)\n  offer up to $5\n  say "(:"\n').diagnostics == []


def test_a_name_written_with_spaces_is_explained() -> None:
    field = parse(HEADER + '  purchase price: money\nrule "r"\n  offer nothing\n').diagnostics
    assert [(d.line, d.message, d.hint) for d in field] == [
        (6, "a field name is one word, without spaces", "join the words with `_`: `purchase_price`")]
    let = parse(HEADER + "let Net profit = price\n").diagnostics
    assert [(d.line, d.message, d.hint) for d in let] == [
        (6, "a let's name is one word, without spaces", "join the words with `_`: `net_profit`")]


@pilot_test
async def test_the_messages_show_in_problems(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(app.main_screen.editor.text.replace("  when situation is wrong_item", "  when (situation is wrong_item"))
        await after_typing(pilot)
        shown = app.main_screen.query_one(DiagnosticsList).diagnostics
        assert [d.message for d in shown] == ["this `(` is never closed"]
