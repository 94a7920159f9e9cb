"""The ground-truth box readers on small hand-written files: the Kaggle CSV and VOC XML, as a
folder or an archive, malformed input included."""

import io
import tarfile

import pytest

from secam.annotations import (
    Box,
    parse_prediction_string,
    parse_voc_xml,
    read_annotations,
    read_loc_solution,
    read_voc_annotations,
)


def voc(filename: str | None, *objects: str) -> str:
    name = "" if filename is None else f"<filename>{filename}</filename>"
    return f"<annotation><folder>val</folder>{name}{''.join(objects)}</annotation>"


def obj(wnid: str, xmin="1", ymin="2", xmax="30", ymax="40") -> str:
    box = "".join(
        f"<{k}>{v}</{k}>"
        for k, v in (("xmin", xmin), ("ymin", ymin), ("xmax", xmax), ("ymax", ymax))
        if v is not None
    )
    return f"<object><name>{wnid}</name><pose>Unspecified</pose><bndbox>{box}</bndbox></object>"


def test_box_as_list():
    assert Box("n1", 1, 2, 3, 4).as_list() == [1, 2, 3, 4]


def test_prediction_string_of_several_boxes_rounds_coordinates():
    boxes, problems = parse_prediction_string("n01 0 0 415 299 n02 10.4 10.6 20.0 -3 ")
    assert boxes == [Box("n01", 0, 0, 415, 299), Box("n02", 10, 11, 20, -3)]
    assert problems == []


def test_empty_prediction_string_has_no_boxes_and_no_problem():
    assert parse_prediction_string("") == ([], [])
    assert parse_prediction_string("   ") == ([], [])


def test_prediction_string_with_a_short_tail_keeps_the_whole_boxes():
    boxes, problems = parse_prediction_string("n01 1 2 3 4 n02 5 6")
    assert boxes == [Box("n01", 1, 2, 3, 4)]
    assert problems == ["prediction string has 8 fields, not a multiple of 5"]


def test_prediction_string_with_non_numeric_coordinates_skips_that_box():
    boxes, problems = parse_prediction_string("n01 1 2 3 4 n02 a 6 7 8 n03 9 10 11 12")
    assert boxes == [Box("n01", 1, 2, 3, 4), Box("n03", 9, 10, 11, 12)]
    assert problems == ["box 2 has non-numeric coordinates ['a', '6', '7', '8']"]


def test_loc_solution_reads_boxes_problems_and_duplicates(tmp_path):
    path = tmp_path / "LOC_val_solution.csv"
    path.write_text(
        "ImageId,PredictionString\n"
        "img1,n01 0 0 9 9 n01 2 3 4 5 \n"
        "img2,n02 1 1 x 5\n"
        ",n03 1 1 2 2\n"  # no image id: skipped
        "img1,n04 0 0 1 1\n"  # second row of img1: the first one stays
        "img3,\n"
        "img4\n"  # a short row: no prediction string at all
    )
    result = read_loc_solution(path)
    assert list(result.annotations) == ["img1", "img2", "img3", "img4"]
    assert result.duplicates == ["img1"]
    img1 = result.annotations["img1"]
    assert img1.image_id == "img1" and img1.problems == []
    assert [b.as_list() for b in img1.boxes] == [[0, 0, 9, 9], [2, 3, 4, 5]]
    assert {b.wnid for b in img1.boxes} == {"n01"}
    assert result.annotations["img2"].boxes == []
    assert result.annotations["img2"].problems == [
        "box 1 has non-numeric coordinates ['1', '1', 'x', '5']"
    ]
    for empty in ("img3", "img4"):
        assert result.annotations[empty].boxes == [] == result.annotations[empty].problems


def test_loc_solution_columns_may_come_in_any_order(tmp_path):
    path = tmp_path / "solution.csv"
    path.write_text("PredictionString,ImageId\nn01 1 2 3 4,img1\n")
    assert read_loc_solution(path).annotations["img1"].boxes == [Box("n01", 1, 2, 3, 4)]


@pytest.mark.parametrize("text", ["", "ImageId,Boxes\nimg1,n01 1 2 3 4\n", "img1,n01 1 2 3 4\n"])
def test_loc_solution_without_its_header_is_refused(tmp_path, text):
    path = tmp_path / "LOC_val_solution.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match="expected the header 'ImageId,PredictionString'"):
        read_loc_solution(path)


def test_voc_xml_reads_every_object_and_strips_jpeg_from_the_name():
    annotation = parse_voc_xml(
        voc(" ILSVRC2012_val_00000001.JPEG ", obj("n01751748"), obj(" n01751748 ", "5.6", 6, 7, 8))
    )
    assert annotation.image_id == "ILSVRC2012_val_00000001"
    assert annotation.boxes == [Box("n01751748", 1, 2, 30, 40), Box("n01751748", 6, 6, 7, 8)]
    assert annotation.problems == []


def test_voc_xml_from_bytes_keeps_a_name_without_extension():
    annotation = parse_voc_xml(voc("ILSVRC2012_val_00000002", obj("n09193705")).encode())
    assert annotation.image_id == "ILSVRC2012_val_00000002"
    assert annotation.boxes == [Box("n09193705", 1, 2, 30, 40)]


def test_voc_xml_without_filename_takes_the_fallback_id():
    annotation = parse_voc_xml(voc(None, obj("n01")), fallback_id="from_file_name")
    assert annotation.image_id == "from_file_name"
    assert len(annotation.boxes) == 1


def test_voc_xml_objects_without_a_numeric_box_are_reported_and_skipped():
    no_box = "<object><name>n02</name></object>"
    annotation = parse_voc_xml(
        voc("img", obj("n01"), no_box, obj("n03", xmax=None), obj("n04", ymin="top"), obj("n05"))
    )
    assert [b.wnid for b in annotation.boxes] == ["n01", "n05"]
    assert annotation.problems == [
        "object 2 has no numeric bndbox",
        "object 3 has no numeric bndbox",
        "object 4 has no numeric bndbox",
    ]


def test_unreadable_xml_is_an_annotation_with_its_problem():
    annotation = parse_voc_xml("<annotation><object>", fallback_id="broken")
    assert annotation.image_id == "broken" and annotation.boxes == []
    assert len(annotation.problems) == 1
    assert annotation.problems[0].startswith("unreadable XML (")


def test_voc_folder_is_read_recursively_with_duplicates(tmp_path):
    folder = tmp_path / "val"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.xml").write_text(voc("img_a", obj("n01")))
    (folder / "nested" / "b.xml").write_text(voc(None, obj("n02"), obj("n02")))
    (folder / "c.xml").write_text("not xml at all")
    (folder / "d.xml").write_text(voc("img_a.JPEG", obj("n09")))  # img_a again
    (folder / "notes.txt").write_text(voc("img_t", obj("n01")))  # not an .xml: ignored
    result = read_voc_annotations(folder)
    assert sorted(result.annotations) == ["b", "c", "img_a"]
    assert result.duplicates == ["img_a"]
    assert [b.wnid for b in result.annotations["img_a"].boxes] == ["n01"]  # the first file's
    assert len(result.annotations["b"].boxes) == 2  # named after its file
    assert result.annotations["c"].problems[0].startswith("unreadable XML")


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    archive.addfile(member, io.BytesIO(data))


def test_voc_archive_reads_only_its_xml_members(tmp_path):
    path = tmp_path / "ILSVRC2012_bbox_val_v3.tgz"
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "val/ILSVRC2012_val_00000001.xml", voc(None, obj("n01")).encode())
        _add(archive, "val/ILSVRC2012_val_00000002.xml", voc("x.JPEG", obj("n02")).encode())
        _add(archive, "val/readme.txt", b"not an annotation")
        directory = tarfile.TarInfo("val/dir.xml")
        directory.type = tarfile.DIRTYPE
        archive.addfile(directory)
    result = read_voc_annotations(path)
    assert sorted(result.annotations) == ["ILSVRC2012_val_00000001", "x"]
    assert result.annotations["x"].boxes == [Box("n02", 1, 2, 30, 40)]
    assert result.duplicates == []
    # read_annotations tells an archive by its content, whatever its name
    assert read_annotations(path).annotations.keys() == result.annotations.keys()


def test_read_annotations_chooses_the_reader_by_what_the_path_is(tmp_path):
    csv = tmp_path / "boxes.CSV"
    csv.write_text("ImageId,PredictionString\nimg1,n01 1 2 3 4\n")
    assert read_annotations(csv).annotations["img1"].boxes == [Box("n01", 1, 2, 3, 4)]
    folder = tmp_path / "xml"
    folder.mkdir()
    (folder / "img2.xml").write_text(voc("img2", obj("n02")))
    assert list(read_annotations(folder).annotations) == ["img2"]


def test_read_annotations_refuses_anything_else(tmp_path):
    other = tmp_path / "boxes.json"
    other.write_text("{}")
    with pytest.raises(ValueError, match=r"boxes\.json is neither a \.csv, a folder nor a tar"):
        read_annotations(other)
    with pytest.raises(FileNotFoundError):
        read_annotations(tmp_path / "missing.tar")
