"""The F1 help: the keys, and the policy language on one page (LANGUAGE.md, condensed), for a
service manager who has never read the documentation."""

KEYS = """\
## Keys

- **Ctrl+S** save (atomically; every save is kept in the history)
- **F5** simulate: replay the historic cases against the text in the editor
- **F6** diff: compare the editor's text with the saved file or an earlier version
- **Escape** cancel a running simulation or diff; leave the editor
- **F2**, **F3**, **F4** show Problems, Try a case, History
- **F9** zoom the focused panel (again to restore)
- **Ctrl+T** light or dark theme; **Ctrl+P** every command, searchable
- **F8** back to the editor from any pane
- **Tab** in the editor takes the grey completion, expands `rule`, `entitlement`, `route` or
  `authority` alone on a line into a block, or indents; **Shift+Tab** dedents
- **Ctrl+Home** / **Ctrl+End** start / end of the policy; **Ctrl+Left/Right** (or Alt) by words;
  **Shift** with any move selects
- **Ctrl+Z** / **Ctrl+Y** undo / redo; **F1** this help
- **Ctrl+Q** quit (asks first when there are unsaved changes)

In Try a case: **Ctrl+N** negotiates the case, a step at a time (decline, counter, accept). In
Problems: **Enter** goes to the line; **w** loads a finding's example case into Try a case.

In the History pane: **d** diff with a version, **r** restore it, **p** publish it (asks first; marks
it as in force once it checks and its policy tests pass, recording who and when).

Simulate's **Impact** tab prices the editor's text by itself against the version in force (or the
saved file): the cost change, who now approves, and charts. No historic cases? **Ctrl+P** then
"Generate sample cases".

Your work is autosaved every few seconds beside the policy (`.NAME.autosave`) and offered back
if the workbench stops before you save.
"""

LANGUAGE = """\
## The policy language in brief

```
policy "My store"                  # header: name, version, currency (in this order)
version "2026-11"
currency USD

case                               # the fields every case carries
  situation: one of missed_appointment, defective_product
  price: money                     # money, number, integer, bool, text
  warranty: one of active, none = none    # "= value" gives a default

let profit = price - cost          # a derived value

authority                          # who may approve how much, lowest first
  clerk up to $50
  supervisor up to $200
  manager

route "Attorney's Office" when legal_issue

entitlement "Warranty replacement" # a legal minimum: never undercut
  when warranty is active and situation is defective_product
  at least price

rule "Missed appointment"          # the first rule whose `when` holds decides
  when situation is missed_appointment
  offer no less than 25% of price but no more than 50% of price
  say "We would like to extend {offer} with our apologies."
  follow up within 2 days

otherwise escalate to supervisor   # a case no rule matches
```

**Offers**: `offer no less than A but no more than B`, `offer up to B`, `offer exactly A`,
`offer nothing`. Other clauses: `open at X`, `step X`, `remedies a, b, c` (least costly first),
`say "..."` (with `{offer}`, `{floor}`, `{ceiling}`, `{step}`, `{extra}` or any field),
`follow up within N days|hours`, `extra "GESTURE" up to X`, `escalate to ROLE`.

**Amounts**: `$50`, `$1,000`, `€250`, `£30`, `250 EUR`; `+ - * /`, `min(a, b)`, `max(a, b)`,
`25% of price`. Arithmetic is exact; amounts round half-up to the cent at the end.

**Conditions**: `< <= > >= == !=`, `situation is wrong_item`, `is not`, `is one of a, b`,
`and`, `or`, `not`, parentheses; a condition may continue on the next line after `and`/`or`.

**The decision**: the matching rule's range (floor to ceiling), raised by every matching
entitlement; the opening offer; the approver (the lowest role whose limit covers the ceiling);
every matching route; the wording.
"""
