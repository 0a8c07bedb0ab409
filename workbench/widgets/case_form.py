"""A form for one case, built from the policy's `case` block: a select for each enumeration, a
checkbox for each yes/no field, validated inputs for amounts and numbers, defaults filled in.

The form keeps what was typed when the policy changes: a field that keeps its name and kind keeps
its value, so editing a rule while trying a case never resets the case.
"""

from __future__ import annotations

from decimal import Decimal

from textual.containers import Horizontal, VerticalScroll
from textual.validation import ValidationResult, Validator
from textual.widgets import Checkbox, Input, Label, Select

from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField
from engine.cases import describe_type, exact_decimal

_RESTRICT = {MONEY: r"[0-9.]*", NUMBER: r"-?[0-9.]*", INTEGER: r"-?[0-9]*"}


class AmountValidator(Validator):
    """What the engine will accept: an exact decimal (a whole number for an integer field)."""

    def __init__(self, field: CaseField):
        super().__init__(failure_description=f"{field.name} must be {describe_type(field)}")
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success() if not self.field.required else self.failure(f"{self.field.name} is required")
        number = exact_decimal(value)
        if number is None or (self.field.kind == INTEGER and number != number.to_integral_value()):
            return self.failure()
        return self.success()


def _default_text(field: CaseField) -> str:
    if field.default is None or isinstance(field.default, bool):
        return ""
    return format(field.default, "f") if isinstance(field.default, Decimal) else str(field.default)


class CaseForm(VerticalScroll):
    DEFAULT_CSS = """
    CaseForm { height: 1fr; }
    CaseForm > .case-field { height: auto; margin-bottom: 0; }
    CaseForm > .case-field > Label { padding: 0 1 0 0; text-align: right; text-wrap: nowrap; text-overflow: ellipsis; }
    CaseForm SelectCurrent > #label { text-wrap: nowrap; text-overflow: ellipsis; }
    CaseForm > .case-field > Input, CaseForm > .case-field > Select { width: 1fr; }
    CaseForm > .case-field > Checkbox { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fields: tuple[CaseField, ...] = ()
        self._signature: tuple | None = None

    async def build(self, fields: tuple[CaseField, ...]) -> None:
        """(Re)build the form for these fields, keeping the values of fields that survive."""
        signature = tuple((f.name, f.kind, f.values, f.default) for f in fields)
        if signature == self._signature:
            return
        kept = self.raw_values()
        old_kinds = {f.name: (f.kind, f.values) for f in self.fields}
        self._signature, self.fields = signature, fields
        await self.remove_children()
        rows = []
        label_width = min(24, max((len(f.name) + 3 for f in fields), default=10))
        for field in fields:
            value = kept.get(field.name) if old_kinds.get(field.name) == (field.kind, field.values) else None
            label = Label(field.name + (" *" if field.required else ""))
            label.styles.width = label_width
            rows.append(Horizontal(label, self._widget(field, value), classes="case-field"))
        await self.mount_all(rows)

    def _widget(self, field: CaseField, value):
        widget_id = f"field-{field.name}"
        if field.kind == ENUM:
            options = [(choice, choice) for choice in field.values]
            chosen = value if value in field.values else field.default if field.default is not None else Select.NULL
            return Select(options, value=chosen, allow_blank=field.required, prompt="choose…", id=widget_id, compact=True)
        if field.kind == BOOL:
            checked = value if isinstance(value, bool) else bool(field.default)
            return Checkbox("yes", value=checked, id=widget_id, compact=True)
        text = value if isinstance(value, str) else _default_text(field)
        if field.kind in (MONEY, NUMBER, INTEGER):
            return Input(text, placeholder=describe_type(field).split(" (")[0], restrict=_RESTRICT[field.kind],
                         validators=[AmountValidator(field)], valid_empty=not field.required, id=widget_id, compact=True)
        return Input(text, placeholder="text", id=widget_id, compact=True)

    def raw_values(self) -> dict[str, str | bool | None]:
        """What each widget holds now, by field name."""
        values: dict[str, str | bool | None] = {}
        for field in self.fields:
            try:
                widget = self.query_one(f"#field-{field.name}")
            except NoMatches:  # the form is being rebuilt
                continue
            if isinstance(widget, Select):
                values[field.name] = None if widget.value is Select.NULL else widget.value
            else:
                values[field.name] = widget.value
        return values

    def case(self) -> dict:
        """The case to decide: an empty amount leaves the field out, so its default applies (or the
        engine says it is required), exactly as `redress eval` treats a missing key."""
        case = {}
        values = self.raw_values()
        for field in self.fields:
            value = values.get(field.name)
            if value is None or (field.kind in (MONEY, NUMBER, INTEGER) and not str(value).strip()):
                continue
            case[field.name] = value.strip() if isinstance(value, str) and field.kind != TEXT else value
        return case

    def load(self, case: dict) -> None:
        """Fill every field from a case (an analysis witness): a field the case leaves out gets its default."""
        for field in self.fields:
            value = case.get(field.name)
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, Checkbox):
                widget.value = bool(field.default) if value is None else value is True or str(value).lower() == "true"
            elif isinstance(widget, Select):
                widget.value = value if value in field.values else field.default if field.default is not None else Select.NULL
            else:
                widget.value = _default_text(field) if value is None else str(value)

    def set_value(self, name: str, value) -> None:
        """Fill one field (used by the command palette's example cases and by tests)."""
        widget = self.query_one(f"#field-{name}")
        widget.value = value
