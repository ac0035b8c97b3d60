"""One rule for "this text names agency X": whole names from the known list, longest first, after NFKC."""
import pytest

from lib.casework.agencies import named, names_agency

KNOWN = ["社協", "社協ボランティアセンター", "地域包括支援センター", "地域包括支援センター北部", "包括",
         "みんなの居場所", "NPOひだまり"]


@pytest.mark.parametrize("text, expected", [
    ("主: 地域包括支援センター／副: みんなの居場所", {"地域包括支援センター", "みんなの居場所"}),
    ("社協ボランティアセンター", {"社協ボランティアセンター"}),               # not 社協
    ("地域包括支援センター北部と相談", {"地域包括支援センター北部"}),          # not the centre, not 包括
    ("社協・包括", {"社協", "包括"}),
    ("協力：ＮＰＯひだまり", {"NPOひだまり"}),                              # full-width typed
    ("ボランティア", set()),
    ("", set()),
    (None, set()),
])
def test_named_agencies_are_whole_known_names_longest_first(text, expected):
    assert named(text, KNOWN) == expected


@pytest.mark.parametrize("text, agency, expected", [
    ("社協ボランティアセンター", "社協", False),
    ("社協ボランティアセンター", "社協ボランティアセンター", True),
    ("主：社協／副：包括", "社協", True),
    ("地域包括支援センター北部", "包括", False),
    ("地域包括支援センター北部", "地域包括支援センター", False),
    ("居宅介護支援事業所 みどりの里", "居宅介護支援事業所 みどりの里", True),   # not in the list: added
    ("何か", None, False),
])
def test_names_agency(text, agency, expected):
    assert names_agency(text, agency, KNOWN) is expected


@pytest.mark.parametrize("text", ["社協ボランティアセンターと地域包括支援センター北部", "（社協）", "", None, "名前なし", "サロンＡ、サロンA"])
def test_a_namer_finds_what_named_finds(text):
    from lib.casework.agencies import named, namer
    names = ["社協", "社協ボランティアセンター", "地域包括支援センター", "地域包括支援センター北部", "(社協)", "サロンA"]
    assert namer(names)(text) == named(text, names) == named(text, tuple(names))
