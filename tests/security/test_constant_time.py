"""Constant-time comparisons: no secret (or a secret's hash) is compared with ``==``/``!=``
anywhere in src/. Secrets go through ``hmac.compare_digest`` (``tidings.core.auth.same``) or
argon2's verify. A lint over the source's syntax tree, so a new ``token == given`` fails here.

Allowed: SQL expressions (``table.c.key_hash == digest`` is an indexed lookup by a hash of a
random secret, which leaks nothing useful), and comparisons with a literal or with None (an
emptiness check, not a secret check).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tidings
from tidings.core.auth import same, verify_password

SRC = Path(tidings.__file__).resolve().parent
SECRET_NAME = re.compile(
    r"(secret|token|password|passwd|key_hash|digest|signature|csrf|nonce|write_?key|api_?key"
    r"|^key$|_key$)",
    re.I,
)
#: Names that match the pattern but hold no secret.
NOT_SECRET = re.compile(r"(^token_type$|_count$|^n_|kind$|^key_?name|length|_id$|scheme)", re.I)


def _name(node: ast.expr) -> str | None:
    """The name an operand is known by: ``x``, ``obj.x`` or ``d["x"]``/``d.get("x")``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def _sql_column(node: ast.expr) -> bool:
    """``table.c.name`` or a variable called ``column``: the comparison builds SQL."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "c"
    return isinstance(node, ast.Name) and node.id == "column"


def _suspicious(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq):
                continue
            if any(isinstance(side, ast.Constant) for side in (left, right)):
                continue
            if any(_sql_column(side) for side in (left, right)):
                continue
            names = [n for n in (_name(left), _name(right)) if n]
            if any(SECRET_NAME.search(n) and not NOT_SECRET.search(n) for n in names):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_secret_is_compared_with_equals() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for line, code in _suspicious(ast.parse(path.read_text(), str(path))):
            offenders.append(f"{path.relative_to(SRC)}:{line}: {code}")
    assert offenders == [], "compare secrets with tidings.core.auth.same:\n" + "\n".join(offenders)


def test_the_lint_catches_what_it_is_for() -> None:
    caught = _suspicious(
        ast.parse(
            "a = token == given\n"
            "b = row.key_hash != digest\n"
            "c = form['csrf'] == expected\n"
            "d = form.get('client_secret') == client.secret\n"
            "e = sources.c.key_hash == digest\n"  # SQL: allowed
            "f = token == ''\n"  # emptiness: allowed
        )
    )
    assert [line for line, _ in caught] == [1, 2, 3, 4]


def test_the_helpers_compare_correctly() -> None:
    assert same("abc", "abc") and not same("abc", "abd") and not same("abc", "abcd")
    assert not verify_password("not-an-argon2-hash", "whatever")
