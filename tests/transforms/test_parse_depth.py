"""The byte-level JSON depth agrees with walking the parsed document, for any JSON value."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parse.depth import text_depth
from transforms.parse.values import json_depth

TRICKY_TEXT = st.text(alphabet=st.sampled_from(list('[]{}"\\/:,é€\U0001f600 a\n\t')), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_text_depth_is_the_document_depth(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert text_depth(text.encode("utf-8")) == json_depth(value)


def test_brackets_inside_strings_and_escaped_quotes_do_not_count() -> None:
    assert text_depth(b'{"a": "[[{{\\"]]", "b": [1, [2]]}') == 3
    assert text_depth(b'"\\\\"') == 0
    assert text_depth(b"\xef\xbb\xbf[[]]") == 2  # a UTF-8 BOM before the document
