"""The salary formula language: a tiny, exact, safe expression language for payroll components.

    base * days_worked / working_days          0.08 * profit_pool
    min(bonus, 5000) - penalty                 if(completion_rate >= 0.95, 500, 0)

Grammar (lowest precedence first; comparisons do not chain):

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | NAME | FUNCTION "(" expr ("," expr)* ")" | "(" expr ")"

Safety by construction: the source is tokenised and parsed here into our own node classes, type-checked (numbers
vs. true/false) and turned into nested closures. Nothing is ever handed to eval/exec/compile or Python's `ast`, so
no attribute access, import or call outside min/max/round/abs/if can be expressed. Length and nesting depth are
bounded, there is no power operator, and every evaluation runs in a local decimal context (28 significant digits,
exponent limit 10**60) whose traps turn into FormulaError.

Numbers are written with the ASCII digits 0-9 only: Python reads "١٢٣" or "１２３" as 123, but a person checking a
formula may not, so such a digit is refused with a message that says so.

Exactness: a literal is read straight from its text (`0.08` is Decimal("0.08")); arithmetic is Decimal end to end.
"""

from __future__ import annotations

import decimal
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from shop_ops.exceptions import ShopOpsError

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_LITERAL_LENGTH = 20
MAX_ROUND_PLACES = 10
FUNCTIONS = {"min": (2, 10), "max": (2, 10), "round": (1, 2), "abs": (1, 1), "if": (3, 3)}
KEYWORDS = {"and", "or", "not"}
RESERVED = frozenset(FUNCTIONS) | KEYWORDS

# Fixed precision and a modest exponent range: a product of large numbers overflows into a FormulaError instead
# of growing without bound; a result this large is not money anyway.
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=60,
    Emin=-60,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

NUMBER, BOOLEAN = "number", "true/false"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[-+*/(),<>])
    """,
    re.VERBOSE,
)


class FormulaError(ShopOpsError):
    """A formula that cannot be parsed, checked or evaluated; `column` (1-based) points at the place."""

    def __init__(self, message: str, *, column: int | None = None, component: str | None = None, hint: str = ""):
        self.detail = message
        self.column = column
        self.component = component
        self.hint = hint
        # Lazy: the message is put into words in the language of the page (or log) that shows it.
        text = message
        if column is not None:
            text = format_lazy(_("{message} at column {column}"), message=text, column=column)
        if hint:
            text = format_lazy(_("{message}; {hint}"), message=text, hint=hint)
        if component:
            text = format_lazy(_("{component}: {message}"), component=component, message=text)
        super().__init__(text, field="formula")

    def for_component(self, component: str) -> FormulaError:
        return FormulaError(self.detail, column=self.column, component=component, hint=self.hint)


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, end
    text: str
    column: int


def tokenize(source: str) -> list[Token]:
    if not isinstance(source, str):
        raise FormulaError(_("A formula must be text"))
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            format_lazy(
                _("A formula may be at most {limit} characters long (this one has {length})"),
                limit=MAX_LENGTH,
                length=len(source),
            )
        )
    tokens = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            character = source[position]
            if character.isdigit() or character.isnumeric():
                # Python reads "١٢٣" as 123; a formula shows its digits to the people who approve it, so only the
                # digits everyone reads the same way are numbers here.
                raise FormulaError(
                    format_lazy(
                        _("{character} is not one of the digits 0-9; write numbers with the ASCII digits 0-9 only"),
                        character=repr(character),
                    ),
                    column=position + 1,
                )
            raise FormulaError(
                format_lazy(_("unexpected character {character}"), character=repr(character)), column=position + 1
            )
        kind = match.lastgroup
        text = match.group()
        if kind == "number" and len(text) > MAX_LITERAL_LENGTH:
            raise FormulaError(
                format_lazy(_("number longer than {limit} characters"), limit=MAX_LITERAL_LENGTH), column=position + 1
            )
        if kind != "space":
            tokens.append(Token(kind, text, position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(source) + 1))
    return tokens


# --- The syntax tree -------------------------------------------------------------------------------------------

Env = Mapping[str, Decimal]
Evaluator = Callable[[Env], object]

_SYMBOLS = {"*": "\u00d7", "/": "\u00f7", "==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}


@dataclass
class Node:
    column: int
    type: str = field(default=NUMBER, init=False)

    def names(self) -> Iterable[str]:
        for child in self.children():
            yield from child.names()

    def children(self) -> list[Node]:
        return []


@dataclass
class Number(Node):
    text: str = ""
    value: Decimal = Decimal(0)

    def compile(self) -> Evaluator:
        value = self.value
        return lambda env: value

    def render(self, values: Env, grouped: bool = True) -> str:
        return self.text


@dataclass
class Name(Node):
    name: str = ""

    def names(self):
        yield self.name

    def compile(self) -> Evaluator:
        name = self.name
        return lambda env: env[name]

    def render(self, values: Env, grouped: bool = True) -> str:
        value = values.get(self.name)
        return self.name if value is None else format_value(value, grouped=grouped)


@dataclass
class Unary(Node):
    op: str = ""
    operand: Node | None = None

    def children(self):
        return [self.operand]

    def compile(self) -> Evaluator:
        inner = self.operand.compile()
        if self.op == "not":
            return lambda env: not inner(env)
        if self.op == "-":
            return lambda env: -inner(env)
        return lambda env: +inner(env)

    def render(self, values: Env, grouped: bool = True) -> str:
        inner = _wrapped(self.operand, values, PRECEDENCE["unary"], grouped)
        return f"not {inner}" if self.op == "not" else f"{self.op}{inner}"


@dataclass
class Binary(Node):
    """`column` is where the whole expression starts; `op_column` where its operator is."""

    op: str = ""
    op_column: int = 0
    left: Node | None = None
    right: Node | None = None

    def children(self):
        return [self.left, self.right]

    def compile(self) -> Evaluator:
        left, right, op = self.left.compile(), self.right.compile(), self.op
        if op == "+":
            return lambda env: left(env) + right(env)
        if op == "-":
            return lambda env: left(env) - right(env)
        if op == "*":
            return lambda env: left(env) * right(env)
        if op == "/":
            column = self.op_column

            def divide(env):
                divisor = right(env)
                if not divisor:
                    raise FormulaError(_("division by zero"), column=column, hint=DIVISION_HINT)
                return left(env) / divisor

            return divide
        if op == "and":
            return lambda env: left(env) and right(env)
        if op == "or":
            return lambda env: left(env) or right(env)
        compare = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }[op]
        return lambda env: compare(left(env), right(env))

    def render(self, values: Env, grouped: bool = True) -> str:
        precedence = PRECEDENCE[self.op]
        left = _wrapped(self.left, values, precedence, grouped)
        # Right operands of - and / (and of comparisons) need brackets at equal precedence: a - (b - c).
        right = _wrapped(self.right, values, precedence + (1 if self.op in "-/" or precedence == 3 else 0), grouped)
        return f"{left} {_SYMBOLS.get(self.op, self.op)} {right}"


@dataclass
class Call(Node):
    function: str = ""
    args: list[Node] = field(default_factory=list)

    def children(self):
        return list(self.args)

    def compile(self) -> Evaluator:
        args = [arg.compile() for arg in self.args]
        if self.function == "min":
            return lambda env: min(arg(env) for arg in args)
        if self.function == "max":
            return lambda env: max(arg(env) for arg in args)
        if self.function == "abs":
            only = args[0]
            return lambda env: abs(only(env))
        if self.function == "round":
            only = args[0]
            exponent = Decimal(1).scaleb(-int(self.args[1].value)) if len(self.args) == 2 else Decimal(1)
            return lambda env: only(env).quantize(exponent, rounding=ROUND_HALF_UP)
        condition, then, otherwise = args  # if(): only the chosen branch is evaluated, so it can guard a division
        return lambda env: then(env) if condition(env) else otherwise(env)

    def render(self, values: Env, grouped: bool = True) -> str:
        # No thousands separators inside a call, where the comma separates arguments.
        return f"{self.function}({', '.join(arg.render(values, grouped=False) for arg in self.args)})"


PRECEDENCE = {"or": 1, "and": 2, "not": 2.5, "<": 3, "<=": 3, ">": 3, ">=": 3, "==": 3, "!=": 3}
PRECEDENCE.update({"+": 4, "-": 4, "*": 5, "/": 5, "unary": 6})


def _precedence(node: Node) -> float:
    """How tightly a node binds, for deciding where a rendering needs brackets (9: a name, a number, a call)."""
    if isinstance(node, Binary):
        return PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return PRECEDENCE["not"] if node.op == "not" else PRECEDENCE["unary"]
    return 9


def _wrapped(node: Node, values: Env, minimum: float, grouped: bool) -> str:
    text = node.render(values, grouped=grouped)
    return f"({text})" if _precedence(node) < minimum else text


def format_value(value, *, grouped: bool = True) -> str:
    """How a value appears in an explanation: money-like numbers with thousands separators."""
    if isinstance(value, bool):
        return "true" if value else "false"
    value = Decimal(value)
    comma = "," if grouped else ""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        return str(value)
    if value == value.to_integral_value() and abs(value) < 1000 and exponent >= 0:
        return f"{value:{comma}.0f}"
    return f"{value:{comma}.{min(max(2, -exponent), 10)}f}"


# --- In words --------------------------------------------------------------------------------------------------
# A payslip reads a formula to the person paid: each name as the page calls it ("底薪 × 出勤天数 ÷ 应出勤天数"), or
# each name as its value, and the functions as phrases of the page's language, never min(), if() or "and".


def in_words(node: Node, texts: Mapping[str, str]) -> str:
    """`node` read aloud: each name as `texts[name]` (a name without a text as it is written), the operators as
    signs, the functions and logic as phrases of the active language."""
    from django.utils.translation import gettext

    return _words(node, texts, gettext, top=True)


def _words(node: Node, texts: Mapping[str, str], gettext, top: bool = False) -> str:
    if isinstance(node, Number):
        return format_value(node.value)  # 20,000.00 as the page shows money, not 20000.00
    if isinstance(node, Name):
        return str(texts.get(node.name, node.name))
    if isinstance(node, Unary):
        inner = _words_wrapped(node.operand, texts, gettext, PRECEDENCE["not" if node.op == "not" else "unary"])
        return gettext("not %(condition)s") % {"condition": inner} if node.op == "not" else f"{node.op}{inner}"
    if isinstance(node, Binary):
        precedence = PRECEDENCE[node.op]
        left = _words_wrapped(node.left, texts, gettext, precedence)
        right = _words_wrapped(
            node.right, texts, gettext, precedence + (1 if node.op in "-/" or precedence == 3 else 0)
        )
        if node.op in ("and", "or"):
            sentence = gettext("%(left)s and %(right)s") if node.op == "and" else gettext("%(left)s or %(right)s")
            return sentence % {"left": left, "right": right}
        return f"{left} {_SYMBOLS.get(node.op, node.op)} {right}"
    text = _call_in_words(node, texts, gettext)
    return text if top else f"({text})"


def _words_wrapped(node: Node, texts, gettext, minimum: float) -> str:
    text = _words(node, texts, gettext)
    return f"({text})" if _precedence(node) < minimum else text


def _call_in_words(node: Call, texts, gettext) -> str:
    from django.utils.translation import pgettext

    args = [_words(arg, texts, gettext) for arg in node.args]
    name, inner = node.function, node.args[0]
    if (
        name == "min"
        and len(args) == 2
        and isinstance(inner, Call)
        and inner.function == "max"
        and len(inner.args) == 2
    ):
        # min(max(x, low), high): x kept within low and high, as a contribution base is.
        value, low = (_words(arg, texts, gettext) for arg in inner.args)
        return gettext("%(value)s, kept between %(low)s and %(high)s") % {"value": value, "low": low, "high": args[1]}
    if name in ("min", "max"):
        listed = gettext("%(first)s and %(last)s") % {
            "first": pgettext("between values listed", ", ").join(args[:-1]),
            "last": args[-1],
        }
        phrase = gettext("the lower of %(values)s") if name == "min" else gettext("the higher of %(values)s")
        return phrase % {"values": listed}
    if name == "abs":
        return gettext("%(value)s without its sign") % {"value": args[0]}
    if name == "round":
        if len(args) == 2:
            return gettext("%(value)s rounded to %(places)s decimal places") % {"value": args[0], "places": args[1]}
        return gettext("%(value)s rounded to a whole number") % {"value": args[0]}
    condition, then, otherwise = args
    return gettext("%(then)s if %(condition)s, otherwise %(otherwise)s") % {
        "condition": condition,
        "then": then,
        "otherwise": otherwise,
    }


# --- Parsing ---------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token], names: frozenset[str]):
        self.tokens = tokens
        self.index = 0
        self.names = names
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.current
        return token.kind in ("op", "name") and token.text in texts

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise FormulaError(
                format_lazy(_("expected '{text}' but found {found}"), text=text, found=self.describe(self.current)),
                column=self.current.column,
            )
        return self.advance()

    @staticmethod
    def describe(token: Token) -> str:
        return _("the end of the formula") if token.kind == "end" else f"'{token.text}'"

    def enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(TOO_DEEP, column=column)

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise FormulaError(_("the formula is empty"), column=1)
        node = self.expression()
        if self.current.kind != "end":
            raise FormulaError(
                format_lazy(_("unexpected {found}"), found=self.describe(self.current)), column=self.current.column
            )
        return node

    def expression(self) -> Node:
        self.enter(self.current.column)
        try:
            return self.or_()
        finally:
            self.depth -= 1

    def _logical(self, op: str, operand) -> Node:
        node = operand()
        while self.at(op):
            token = self.advance()
            right = operand()
            node = Binary(
                node.column, op=op, op_column=token.column, left=_boolean(node, op), right=_boolean(right, op)
            )
            node.type = BOOLEAN
        return node

    def or_(self) -> Node:
        return self._logical("or", self.and_)

    def and_(self) -> Node:
        return self._logical("and", self.not_)

    def not_(self) -> Node:
        if self.at("not"):
            token = self.advance()
            self.enter(token.column)
            try:
                operand = self.not_()
            finally:
                self.depth -= 1
            node = Unary(token.column, op="not", operand=_boolean(operand, "not"))
            node.type = BOOLEAN
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        if self.at("<", "<=", ">", ">=", "==", "!="):
            token = self.advance()
            right = self.sum()
            node = Binary(
                node.column,
                op=token.text,
                op_column=token.column,
                left=_number(node, token.text),
                right=_number(right, token.text),
            )
            node.type = BOOLEAN
            if self.at("<", "<=", ">", ">=", "==", "!="):
                raise FormulaError(_("comparisons cannot be chained; use 'and'"), column=self.current.column)
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            token = self.advance()
            right = _number(self.product(), token.text)
            node = Binary(
                node.column, op=token.text, op_column=token.column, left=_number(node, token.text), right=right
            )
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            token = self.advance()
            right = _number(self.unary(), token.text)
            if token.text == "/" and _constant_zero(right):
                raise FormulaError(_("division by zero"), column=token.column, hint=DIVISION_HINT)
            node = Binary(
                node.column, op=token.text, op_column=token.column, left=_number(node, token.text), right=right
            )
        return node

    def unary(self) -> Node:
        if self.at("-", "+"):
            token = self.advance()
            self.enter(token.column)
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return Unary(token.column, op=token.text, operand=_number(operand, token.text))
        return self.primary()

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(token.column, text=token.text, value=Decimal(token.text))
        if token.kind == "name" and token.text in FUNCTIONS:
            return self.call()
        if token.kind == "name" and token.text not in KEYWORDS:
            self.advance()
            if self.at("("):
                raise FormulaError(
                    format_lazy(
                        _("'{name}' is not a function; the functions are {functions}"),
                        name=token.text,
                        functions=", ".join(sorted(FUNCTIONS)),
                    ),
                    column=token.column,
                )
            if token.text not in self.names:
                raise FormulaError(
                    format_lazy(_("unknown name '{name}'"), name=token.text),
                    column=token.column,
                    hint=_did_you_mean(token.text, self.names),
                )
            return Name(token.column, name=token.text)
        if self.at("("):
            self.advance()
            node = self.expression()
            self.expect(")")
            return node
        if token.kind == "end":
            raise FormulaError(_("the formula ends too early"), column=token.column)
        raise FormulaError(format_lazy(_("unexpected {found}"), found=self.describe(token)), column=token.column)

    def call(self) -> Node:
        name = self.advance()
        self.expect("(")
        args = []
        if not self.at(")"):
            args.append(self.expression())
            while self.at(","):
                self.advance()
                args.append(self.expression())
        self.expect(")")
        low, high = FUNCTIONS[name.text]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else format_lazy(_("{low} to {high}"), low=low, high=high)
            raise FormulaError(
                format_lazy(
                    _("{function}() takes {wanted} arguments, not {given}"),
                    function=name.text,
                    wanted=wanted,
                    given=len(args),
                ),
                column=name.column,
            )
        node = Call(name.column, function=name.text, args=args)
        if name.text == "if":
            _boolean(args[0], "if")
            _number(args[1], "if")
            _number(args[2], "if")
        else:
            for arg in args:
                _number(arg, name.text)
        if name.text == "round" and len(args) == 2:
            places = args[1]
            if not (isinstance(places, Number) and places.value == places.value.to_integral_value()):
                raise FormulaError(
                    _("round()'s second argument must be a whole number such as 2"), column=places.column
                )
            if not 0 <= places.value <= MAX_ROUND_PLACES:
                raise FormulaError(
                    format_lazy(_("round() keeps 0 to {limit} decimal places"), limit=MAX_ROUND_PLACES),
                    column=places.column,
                )
        return node


def _number(node: Node, where: str) -> Node:
    if node.type != NUMBER:
        raise FormulaError(
            format_lazy(_("'{where}' needs a number here, not a true/false condition"), where=where), column=node.column
        )
    return node


def _boolean(node: Node, where: str) -> Node:
    if node.type != BOOLEAN:
        raise FormulaError(
            format_lazy(_("'{where}' needs a condition here (such as x >= 1), not a number"), where=where),
            column=node.column,
        )
    return node


def _constant_zero(node: Node) -> bool:
    """A divisor made of numbers only (`0`, `1 - 1`) that is zero: every employee would fail, so say so at once."""
    if next(iter(node.names()), None) is not None:
        return False
    try:
        with decimal.localcontext(CONTEXT):
            return not node.compile()({})
    except (FormulaError, ArithmeticError):
        return False


def _did_you_mean(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return format_lazy(_("did you mean '{name}'?"), name=close[0]) if close else ""


DIVISION_HINT = _("guard it with if(x > 0, ... / x, 0)")
TOO_DEEP = format_lazy(_("the formula is nested more than {limit} levels deep"), limit=MAX_DEPTH)


# --- The public face -------------------------------------------------------------------------------------------


@dataclass
class Formula:
    """A parsed, checked formula; evaluate() it once per employee with the values of the names it uses."""

    source: str
    tree: Node
    names: tuple[str, ...]  # sorted
    _evaluate: Evaluator

    def evaluate(self, env: Env) -> Decimal:
        try:
            with decimal.localcontext(CONTEXT):
                value = self._evaluate(env)
                # Normalise inside the context: -0 becomes 0 and the result is within precision.
                return value + Decimal(0)
        except FormulaError:
            raise
        except KeyError as exc:
            raise FormulaError(format_lazy(_("no value for '{name}'"), name=exc.args[0])) from None
        except decimal.Overflow:
            raise FormulaError(_("the result is too large")) from None
        except ArithmeticError as exc:  # every decimal trap derives from ArithmeticError
            raise FormulaError(format_lazy(_("arithmetic error ({name})"), name=type(exc).__name__)) from None

    def inputs(self, env: Env) -> dict[str, Decimal]:
        """The values of the names this formula uses, for the payslip's explanation."""
        return {name: env[name] for name in self.names if name in env}

    def render(self, values: Env) -> str:
        """The formula with each name replaced by its value, such as '0.08 x 123,456.00' (with a times sign)."""
        return self.tree.render(values)

    def in_words(self, texts: Mapping[str, str]) -> str:
        """The formula read aloud in the active language, each name as `texts` gives it (its name on the page, or
        its value): "底薪 × 出勤天数 ÷ 应出勤天数", "奖励 与 5000 中较小者" (see `in_words`)."""
        return in_words(self.tree, texts)


def parse(source: str, *, names: Iterable[str]) -> Formula:
    """Parse and check `source`, allowing only `names` as variables; raises FormulaError pointing at the place."""
    try:
        allowed = frozenset(names)
        tokens = tokenize(source)
        tree = _Parser(tokens, allowed).parse()
        if tree.type != NUMBER:
            raise FormulaError(_("the formula must give a number, not a true/false condition; use if(...)"), column=1)
        return Formula(source=source, tree=tree, names=tuple(sorted(set(tree.names()))), _evaluate=tree.compile())
    except FormulaError:
        raise
    except RecursionError:
        raise FormulaError(TOO_DEEP) from None
    except (ArithmeticError, ValueError) as exc:
        raise FormulaError(format_lazy(_("malformed formula ({name})"), name=type(exc).__name__)) from None


def is_identifier(name: str) -> bool:
    return bool(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name or "")) and name not in RESERVED
