import pytest

from secam.models import WeightsUnavailableError, load_model


def test_embedded_head_is_detected(embedded_model):
    head = embedded_model.head
    assert head.head_path == "cam"
    assert head.target_layer == "features"
    assert head.feature_shape == (1280, 7, 7)
    assert embedded_model.classifier().out_features == 1000


@pytest.mark.parametrize(
    ("name", "layer", "path", "grid"),
    [
        ("resnet50", "layer4", "cam", (7, 7)),
        ("inception_v3", "Mixed_7c", "cam", (8, 8)),
        ("vgg16", "features.29", "gradient", (14, 14)),
        # any other torchvision classifier by name: a GAP + linear head and a two-layer head
        ("resnet18", "layer4", "cam", (7, 7)),
        ("mobilenet_v3_small", "features", "gradient", (7, 7)),
    ],
)
def test_torchvision_heads_are_detected(name, layer, path, grid):
    model = load_model(name, weights=None)
    assert model.target_layer == layer
    assert model.head_path == path
    assert model.head.feature_shape[1:] == grid
    assert not model.module.training


def test_target_layer_override():
    model = load_model("resnet50", weights=None, target_layer="layer3")
    assert model.target_layer == "layer3"
    assert model.head_path == "gradient"  # layer4 sits between layer3 and the pooling


def test_missing_weights_explain_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match="TORCH_HOME"):
        load_model("resnet50", weights="DEFAULT")


def test_unknown_model_and_weights_are_named():
    with pytest.raises(ValueError, match="unknown model 'resnet5'"):
        load_model("resnet5")
    with pytest.raises(ValueError, match="unknown weights 'IMAGENET9K'"):
        load_model("resnet50", weights="IMAGENET9K")
