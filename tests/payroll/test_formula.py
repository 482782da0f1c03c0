"""The formula language: exact Decimal arithmetic, errors that point at the place, and nothing but FormulaError."""

import random
import string
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payroll.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, format_value, is_identifier, parse

NAMES = {"base", "days_worked", "working_days", "bonus", "penalty", "completion_rate", "profit_pool", "zero"}
ENV = {
    "base": Decimal("2500.00"),
    "days_worked": Decimal("20"),
    "working_days": Decimal("22"),
    "bonus": Decimal("6000.00"),
    "penalty": Decimal("150.00"),
    "completion_rate": Decimal("0.9600"),
    "profit_pool": Decimal("123456.00"),
    "zero": Decimal("0"),
}


def evaluate(source: str, **overrides) -> Decimal:
    return parse(source, names=NAMES).evaluate({**ENV, **overrides})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("0.08 * profit_pool", Decimal("9876.48")),
        ("base * days_worked / working_days", Decimal("2500.00") * 20 / 22),
        ("min(bonus, 5000) - penalty", Decimal("4850.00")),
        ("if(completion_rate >= 0.95, 500, 0)", Decimal("500")),
        ("if(completion_rate >= 0.97, 500, 0)", Decimal("0")),
        ("0.1 + 0.2", Decimal("0.3")),  # exact, unlike binary floating point
        ("1 - 2 - 3", Decimal("-4")),
        ("2 * 3 + 4 * 5", Decimal("26")),
        ("(2 + 3) * 4", Decimal("20")),
        ("-base + +1", Decimal("-2499.00")),
        ("max(1, 7, 3)", Decimal("7")),
        ("abs(0 - penalty)", Decimal("150.00")),
        ("round(2.675, 2)", Decimal("2.68")),  # half up
        ("round(2.5)", Decimal("3")),
        ("round(-2.5)", Decimal("-3")),
        ("if(1 < 2 and not 3 > 4 or zero == 1, 1, 2)", Decimal("1")),
        ("if(zero != 0, 1, 2)", Decimal("2")),
        ("if(working_days > 0, base * days_worked / working_days, 0)", Decimal("2500.00") * 20 / 22),
        ("if(zero > 0, base / zero, 0)", Decimal("0")),  # the guard keeps the division from running
        ("1 / 3 * 3", Decimal("0.9999999999999999999999999999")),  # 28 significant digits, stated
    ],
)
def test_formulas_compute_exactly(source, expected):
    assert evaluate(source) == expected


def test_literals_are_read_from_their_text():
    formula = parse("0.08", names=set())
    assert formula.evaluate({}) == Decimal("0.08")
    assert str(formula.evaluate({})) == "0.08"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("bonsu + 1", "unknown name 'bonsu'", 1),
        ("base * bonsu", "unknown name 'bonsu'", 8),
        ("min(bonus)", "min() takes 2 to 10 arguments, not 1", 1),
        ("abs(1, 2)", "abs() takes 1 arguments, not 2", 1),
        ("if(1, 2, 3)", "'if' needs a condition here", 4),
        ("if(base > 1, base > 2, 3)", "'if' needs a number here", 14),
        ("base +", "the formula ends too early", 7),
        ("base base", "unexpected 'base'", 6),
        ("(base", "expected ')'", 6),
        ("", "the formula is empty", 1),
        ("1 < 2 < 3", "comparisons cannot be chained", 7),
        ("base.__class__", "unexpected character '.'", 5),
        ("base ** 2", "unexpected '*'", 7),
        ("base ^ 2", "unexpected character '^'", 6),
        ("exec(1)", "'exec' is not a function", 1),
        ("round(base, bonus)", "round()'s second argument must be a whole number", 13),
        ("round(base, 11)", "round() keeps 0 to 10 decimal places", 13),
        ("not base", "'not' needs a condition here", 5),
        ("base > 1", "the formula must give a number", 1),
        ("'a'", "unexpected character", 1),
        ("1" * 21, "number longer than 20 characters", 1),
    ],
)
def test_errors_say_what_and_where(source, message, column):
    with pytest.raises(FormulaError) as error:
        parse(source, names=NAMES)
    assert message in error.value.message
    assert error.value.column == column
    assert f"at column {column}" in error.value.message


def test_unknown_name_suggests_the_close_one():
    with pytest.raises(FormulaError) as error:
        parse("min(bonsu, 5000)", names=NAMES)
    assert error.value.message == "unknown name 'bonsu' at column 5; did you mean 'bonus'?"


def test_division_by_zero_names_the_component():
    formula = parse("base / zero", names=NAMES)
    with pytest.raises(FormulaError) as error:
        formula.evaluate(ENV)
    named = error.value.for_component("profit_share")
    assert named.message.startswith("profit_share: division by zero at column 6")


def test_length_and_depth_are_bounded():
    with pytest.raises(FormulaError, match="at most 500 characters"):
        parse("1+" * 250 + "1", names=NAMES)
    with pytest.raises(FormulaError, match="nested more than"):
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), names=NAMES)
    with pytest.raises(FormulaError, match="nested more than"):
        parse("-" * 200 + "1", names=NAMES)
    with pytest.raises(FormulaError, match="nested more than"):
        parse("not " * 100 + "1 > 0", names=NAMES)
    # Just inside the bounds still works.
    assert parse("(" * 40 + "1" + ")" * 40, names=NAMES).evaluate({}) == 1
    assert len("1+" * 249 + "1") <= MAX_LENGTH


def test_huge_numbers_overflow_into_a_formula_error():
    big = "99999999999999999999"
    formula = parse(" * ".join([big] * 4), names=NAMES)
    with pytest.raises(FormulaError, match="too large"):
        formula.evaluate({})
    with pytest.raises(FormulaError):
        parse(f"round({big} * {big}, 10)", names=NAMES).evaluate({})


def test_explanation_substitutes_values():
    formula = parse("0.08 * profit_pool", names=NAMES)
    assert formula.render(ENV) == "0.08 \u00d7 123,456.00"
    assert formula.inputs(ENV) == {"profit_pool": Decimal("123456.00")}
    formula = parse("min(bonus, 5000) - (penalty - 1) / 2", names=NAMES)
    assert formula.render(ENV) == "min(6000.00, 5000) - (150.00 - 1) \u00f7 2"
    assert format_value(Decimal("0.9600")) == "0.9600"
    assert format_value(Decimal("22")) == "22"


def test_identifiers_for_component_codes():
    assert is_identifier("profit_share")
    assert not is_identifier("if")
    assert not is_identifier("Profit")
    assert not is_identifier("1abc")
    assert not is_identifier("")


# --- Properties: anything in, only FormulaError (or a Decimal) out ------------------------------------------------

ALPHABET = string.ascii_letters + string.digits + " +-*/().,<>=!_'\"\\[]{}:;@#$%^&|~`?\t\n" + "\u00d7\u00f7\u4e2d"
TOKENS = [
    *sorted(NAMES),
    "min(",
    "max(",
    "round(",
    "abs(",
    "if(",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "and",
    "or",
    "not",
    "0",
    "1",
    "0.08",
    "99999999999999999999",
    ".5",
    "exec",
    "__import__",
    "lambda",
]


def _never_escapes(source: str) -> None:
    try:
        formula = parse(source, names=NAMES)
    except FormulaError:
        return
    try:
        value = formula.evaluate(ENV)
    except FormulaError:
        return
    assert isinstance(value, Decimal)
    formula.render(ENV)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_random_text_only_ever_raises_formula_error(source):
    _never_escapes(source)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_soup_only_ever_raises_formula_error(tokens):
    _never_escapes(" ".join(tokens))


def _expressions():
    leaves = st.one_of(
        st.sampled_from(sorted(NAMES)),
        st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False).map(
            lambda d: str(abs(d))
        ),
    )

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(["min", "max"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            children.map(lambda c: f"abs({c})"),
            children.map(lambda c: f"round({c}, 2)"),
            children.map(lambda c: f"-{c}"),
            st.tuples(children, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children, children).map(
                lambda t: f"if({t[0]} {t[1]} {t[2]} and not {t[3]} < 0, {t[3]}, {t[4]})"
            ),
        )

    return st.recursive(leaves, extend, max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
def test_well_formed_expressions_evaluate_or_fail_cleanly(source):
    if len(source) > MAX_LENGTH:
        with pytest.raises(FormulaError):
            parse(source, names=NAMES)
        return
    try:
        formula = parse(source, names=NAMES)
    except FormulaError as error:  # only nesting depth, or a divisor that is a constant zero, refuses it
        assert "nested" in error.message or "division by zero" in error.message
        return
    try:
        value = formula.evaluate(ENV)
    except FormulaError as error:
        assert any(word in error.message for word in ("division by zero", "too large", "arithmetic"))
        return
    assert isinstance(value, Decimal)
    # Parsing is deterministic and evaluation pure: the same source gives the same value again.
    assert parse(source, names=NAMES).evaluate(ENV) == value


def test_fuzz_loop_for_two_seconds():
    """A plain mutation fuzzer (no atheris needed): mutate valid formulas for a bounded time."""
    rng = random.Random(20260501)
    seeds = [
        "base * days_worked / working_days",
        "0.08 * profit_pool",
        "min(bonus, 5000) - penalty",
        "if(completion_rate >= 0.95, 500, 0)",
        "round(abs(-base) / 3, 2) + max(1, 2, 3)",
    ]
    deadline = time.monotonic() + 2
    runs = 0
    while time.monotonic() < deadline:
        source = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            action = rng.random()
            position = rng.randrange(len(source) + 1)
            if action < 0.4 and source:
                del source[min(position, len(source) - 1)]
            elif action < 0.8:
                source.insert(position, rng.choice(ALPHABET))
            else:
                source[position:position] = list(rng.choice(TOKENS))
        _never_escapes("".join(source))
        runs += 1
    assert runs > 500


@pytest.mark.parametrize(
    ("source", "digit", "column"),
    [
        ("١٢٣ + base", "١", 1),  # Arabic-Indic: int("١٢٣") is 123 in Python
        ("base * ０.５", "０", 8),  # full-width, from a Chinese input method
        ("base + ۵", "۵", 8),  # Extended Arabic-Indic
        ("min(base, ५००)", "५", 11),  # Devanagari
        ("base + ²", "²", 8),  # superscript: isdigit() but not a decimal digit
        ("1.٥ * base", "٥", 3),
    ],
)
def test_only_ascii_digits_are_numbers(source, digit, column):
    with pytest.raises(FormulaError) as caught:
        parse(source, names=NAMES)
    assert caught.value.column == column
    assert f"{digit!r} is not one of the digits 0-9" in caught.value.message
    assert "ASCII digits 0-9 only" in caught.value.message


def test_ascii_digits_still_work():
    assert evaluate("123 + base") == Decimal("2623.00")
