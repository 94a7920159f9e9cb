"""The ImageNet-1k class list and a model's own classes: lookup by index, wnid or label."""

import pytest

from secam.classes import (
    ClassList,
    imagenet_classes,
    load_class_list,
    load_class_names,
    parse_synset_mapping,
    predicted_label,
)
from secam.errors import InputError

MAPPING = """n01440764 tench, Tinca tinca
n01443537 goldfish, Carassius auratus

n02123045 tabby, tabby cat
"""


@pytest.fixture
def three() -> ClassList:
    return parse_synset_mapping(MAPPING)


def test_parse_synset_mapping_keeps_line_order_and_skips_blank_lines(three):
    assert three.wnids == ("n01440764", "n01443537", "n02123045")
    assert three.labels == ("tench, Tinca tinca", "goldfish, Carassius auratus", "tabby, tabby cat")
    assert len(three) == 3
    assert three.short_label(2) == "tabby"


@pytest.mark.parametrize(
    "line, number",
    [("n01440764", 1), ("x01440764 tench", 1), ("n01440764 tench\n\n01443537 goldfish", 3)],
)
def test_parse_synset_mapping_names_the_bad_line(line, number):
    with pytest.raises(ValueError, match=rf"synset mapping line {number} is not 'wnid label'"):
        parse_synset_mapping(line)


@pytest.mark.parametrize(
    "text, index",
    [
        ("0", 0),
        (" 2 ", 2),
        ("n01443537", 1),
        ("tench", 0),
        ("Tinca tinca", 0),  # a later synonym
        ("  TABBY CAT ", 2),  # case and surrounding spaces do not matter
        ("goldfish", 1),
    ],
)
def test_find_by_index_wnid_or_any_synonym(three, text, index):
    assert three.find(text) == index


def test_find_takes_non_string_indices(three):
    assert three.find(2) == 2


def test_find_refuses_an_index_out_of_range(three):
    with pytest.raises(ValueError, match=r"class index 3 out of range \(0\.\.2\)"):
        three.find("3")


def test_find_refuses_an_unknown_wnid_as_an_input_error(three):
    """What a user typed (secam explain --target): one of the library's errors, a ValueError."""
    with pytest.raises(InputError, match="unknown wnid 'n99999999': not in the 3-class list"):
        three.find("n99999999")


@pytest.mark.parametrize("text", ["shark", "tabby c", "-1", "cat"])
def test_find_refuses_an_unknown_label(three, text):
    # a label must equal one synonym: neither a prefix nor a word of it is enough
    with pytest.raises(ValueError, match="unknown class"):
        three.find(text)


def test_index_of_a_wnid(three):
    assert three.index("n02123045") == 2
    with pytest.raises(KeyError, match="unknown wnid"):
        three.index("n01443538")


def test_from_names_is_its_own_wnids_and_labels():
    classes = ClassList.from_names([" cat", "dog ", "tabby cat"])
    assert classes.wnids == classes.labels == ("cat", "dog", "tabby cat")
    assert classes.find("dog") == 1
    assert classes.index("tabby cat") == 2


@pytest.mark.parametrize("names", [[], ["cat", ""], ["cat", "   "]])
def test_from_names_refuses_empty_lists_and_empty_names(names):
    with pytest.raises(ValueError, match="at least one class and no empty names"):
        ClassList.from_names(names)


def test_from_names_names_every_duplicate_once():
    with pytest.raises(ValueError, match=r"class names appear twice: cat, dog$"):
        ClassList.from_names(["dog", "cat", "dog", "cat", "cat", "bird"])


def test_matching_prefers_the_wnid_then_any_synonym():
    own = ClassList(("n02123045", "x1", "x2"), ("kitten", "goldfish", "tabby cat"))
    # the wnid wins although the label matches another class
    assert own.matching("n02123045", "tabby, tabby cat") == 0
    # no such wnid: any synonym of the dataset label against any synonym of the model's
    assert own.matching("n02123159", "tiger cat, tabby cat") == 2
    assert own.matching("n01443537", "goldfish, Carassius auratus") == 1
    assert own.matching("n01443537", "GOLDFISH") == 1


def test_matching_is_none_when_the_list_does_not_hold_the_class():
    own = ClassList.from_names(["cat", "dog"])
    assert own.matching("n01440764", "tench, Tinca tinca") is None
    # a synonym must match a whole synonym, not a word of it
    assert own.matching("n02123045", "tabby cat") is None


def test_load_class_names_reads_plain_names(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("cat\n\n  dog  \nsea lion\n")
    classes = load_class_names(path)
    assert classes.wnids == ("cat", "dog", "sea lion")
    assert classes.labels == classes.wnids


def test_load_class_names_reads_wnid_label_lines_as_a_synset_mapping(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text(MAPPING)
    classes = load_class_names(path)
    assert classes.wnids == ("n01440764", "n01443537", "n02123045")
    assert classes.find("tabby cat") == 2
    # so a model with these classes matches the dataset's classes by wnid
    assert classes.matching("n01443537", "something else") == 1


def test_load_class_names_with_one_plain_line_reads_every_line_as_a_name(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("n01440764 tench\ngoldfish\n")
    classes = load_class_names(path)
    assert classes.wnids == ("n01440764 tench", "goldfish")


@pytest.mark.parametrize("text, reason", [("", "at least one class"), ("a\nb\na\n", "twice: a")])
def test_load_class_names_names_the_file_of_a_bad_list(tmp_path, text, reason):
    path = tmp_path / "classes.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"class names file .*classes\.txt: .*{reason}"):
        load_class_names(path)


def test_predicted_label_reads_other_for_minus_one(three):
    assert predicted_label(three, -1) == "other"
    assert predicted_label(three, 0) == "tench"
    assert predicted_label(three, 2) == "tabby"


def test_the_shipped_list_has_the_1000_classes_in_sorted_wnid_order():
    classes = load_class_list()
    assert len(classes) == 1000 == len(set(classes.wnids))
    assert list(classes.wnids) == sorted(classes.wnids)
    assert classes.wnids[0] == "n01440764" and classes.short_label(0) == "tench"
    assert classes.labels[281] == "tabby, tabby cat"
    assert classes.find("n02123045") == 281
    assert imagenet_classes() == classes


def test_an_ambiguous_imagenet_label_finds_its_first_class():
    classes = imagenet_classes()
    cranes = [i for i, label in enumerate(classes.labels) if "crane" in label.split(", ")]
    assert cranes == [134, 517]  # the bird and the machine
    assert classes.find("crane") == 134
    assert classes.matching("n03126707", "crane") == 517  # the wnid decides


def test_load_class_list_from_a_synset_mapping_file(tmp_path):
    path = tmp_path / "LOC_synset_mapping.txt"
    path.write_text(MAPPING)
    assert load_class_list(path) == parse_synset_mapping(MAPPING)
    path.write_text("n01440764 tench\nbroken\n")
    with pytest.raises(ValueError, match="synset mapping line 2"):
        load_class_list(path)
