"""Target layer and head path: token models at their last block's patch tokens, degenerate heads
never taken for CAM heads, layouts that fit no grid refused, convolutional models unchanged."""

import copy

import numpy as np
import pytest
import torch
import torchvision
from torch import nn
from torchvision.models.vision_transformer import EncoderBlock

from secam.activations import SharedPass, make_mapper
from secam.models import LoadedModel, Preprocessing, load_model
from secam.models.inspection import inspect_head
from secam.regions import upsample

VIT_LAST_TOKENS = "encoder.layers.encoder_layer_11.ln_1"


def _loaded(module: nn.Module, size: tuple[int, int], **kwargs) -> LoadedModel:
    head = inspect_head(module, size, **kwargs)
    return LoadedModel(
        "m", module, Preprocessing.imagenet(size), head, "random", torch.device("cpu")
    )


@pytest.fixture(scope="module")
def zero_head_vit() -> nn.Module:
    """torchvision's ViT-B/16 as built: its classifier is zero-initialised."""
    torch.manual_seed(0)
    module = torchvision.models.vit_b_16(weights=None).eval()
    assert not module.heads.head.weight.any() and not module.heads.head.bias.any()
    return module


@pytest.fixture(scope="module")
def vit(zero_head_vit) -> LoadedModel:
    module = copy.deepcopy(zero_head_vit)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        head = module.heads.head
        head.weight.copy_(0.02 * torch.randn(head.weight.shape, generator=generator))
        head.bias.copy_(0.02 * torch.randn(head.bias.shape, generator=generator))
    return _loaded(module, (224, 224))


def test_vit_is_explained_at_the_last_blocks_patch_tokens(vit):
    head = vit.head
    assert head.target_layer == VIT_LAST_TOKENS
    assert head.head_path == "gradient" and head.classifier is None
    assert head.feature_shape == (768, 14, 14)
    assert head.token_prefix == 1  # the class token
    with pytest.raises(ValueError, match="no CAM head"):
        make_mapper(vit, "cam")


def test_vit_maps_match_pytorch_grad_cam_with_reshape_transform(vit):
    pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    capture, maps = SharedPass(vit, ["gradient", "gradcam"])(x, [7])
    assert capture.activations.shape == capture.gradients.shape == (1, 768, 14, 14)
    for source in ("gradient", "gradcam"):
        assert maps[source].shape == (1, 14, 14)
        assert maps[source].abs().max() > 0

    def reshape_transform(tokens):  # pytorch-grad-cam's documented ViT transform
        return tokens[:, 1:].reshape(len(tokens), 14, 14, -1).permute(0, 3, 1, 2)

    layer = dict(vit.module.named_modules())[VIT_LAST_TOKENS]
    with pytorch_grad_cam.GradCAM(vit.module, [layer], reshape_transform) as explainer:
        reference = explainer(input_tensor=x, targets=[ClassifierOutputTarget(7)])[0]
    mine = upsample(maps["gradcam"], (224, 224))[0].numpy()
    mine = (mine - mine.min()) / (mine.max() - mine.min())
    assert np.corrcoef(mine.ravel(), reference.ravel())[0, 1] >= 0.999


def test_zero_initialised_vit_head_is_not_a_cam_head(zero_head_vit):
    # all logits are 0, so "linear layer of the pooled map" matched trivially at the patch
    # embedding; that proves nothing
    at_patches = inspect_head(zero_head_vit, (224, 224), target_layer="conv_proj")
    assert at_patches.head_path == "gradient" and at_patches.classifier is None
    # the classifier's input still shows which tokens reach the head
    head = inspect_head(zero_head_vit, (224, 224))
    assert (head.target_layer, head.head_path) == (VIT_LAST_TOKENS, "gradient")


class GapNet(nn.Module):
    """Two convolutions, global average pooling, one linear layer: a CAM head by construction."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 6, 3, padding=1)
        )
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def _gap_net(weight: str) -> GapNet:
    torch.manual_seed(0)
    net = GapNet().eval()
    with torch.no_grad():
        if weight == "zero":
            net.fc.weight.zero_()  # logits = the (random) bias, whatever the input
        elif weight == "zero and no bias":
            net.fc.weight.zero_()
            net.fc.bias.zero_()
        elif weight == "equal rows":
            net.fc.weight.copy_(net.fc.weight[:1].expand_as(net.fc.weight))  # classes alike
    return net


def test_linear_head_on_the_pooled_map_is_a_cam_head():
    head = inspect_head(_gap_net("random"), (32, 32))
    assert (head.target_layer, head.head_path, head.classifier) == ("features", "cam", "fc")


@pytest.mark.parametrize("weight", ["zero", "zero and no bias", "equal rows"])
def test_degenerate_linear_head_is_not_a_cam_head(weight):
    head = inspect_head(_gap_net(weight), (32, 32))
    assert (head.target_layer, head.head_path, head.classifier) == ("features", "gradient", None)


class TinyTokens(nn.Module):
    """A ViT in miniature: 8-pixel patches on a 4 x 4 grid, ``prefix`` learned tokens first,
    two blocks, a final norm; the head reads the prefix tokens (DeiT averages two heads), or
    the mean of the patch tokens without prefix."""

    def __init__(self, prefix: int) -> None:
        super().__init__()
        self.prefix = prefix
        self.conv_proj = nn.Conv2d(3, 16, 8, stride=8)
        self.tokens = nn.Parameter(torch.randn(1, prefix, 16))
        self.position = nn.Parameter(torch.randn(1, prefix + 16, 16))
        self.blocks = nn.Sequential(*(EncoderBlock(2, 16, 32, 0.0, 0.0) for _ in range(2)))
        self.norm = nn.LayerNorm(16)
        self.heads = nn.ModuleList(nn.Linear(16, 5) for _ in range(max(prefix, 1)))

    def forward(self, x):
        patches = self.conv_proj(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.tokens.expand(len(x), -1, -1), patches], dim=1)
        tokens = self.norm(self.blocks(tokens + self.position))
        read = [tokens[:, i] for i in range(self.prefix)] or [tokens.mean(dim=1)]
        return torch.stack([h(t) for h, t in zip(self.heads, read, strict=True)]).mean(dim=0)


def _tiny(prefix: int) -> TinyTokens:
    torch.manual_seed(0)
    return TinyTokens(prefix).eval()


@pytest.mark.parametrize(
    ("prefix", "layer"),
    [
        (0, "norm"),  # mean of the patch tokens: they all reach the head through the last norm
        (1, "blocks.1.ln_1"),  # class token
        (2, "blocks.1.ln_1"),  # class and distillation token
    ],
)
def test_token_layouts_are_found(prefix, layer):
    head = inspect_head(_tiny(prefix), (32, 32))
    assert (head.target_layer, head.token_prefix) == (layer, prefix)
    assert head.feature_shape == (16, 4, 4)
    assert head.head_path == "gradient"


def test_tokens_are_placed_on_their_patch_grid():
    # one patch changed (row 0, column 3) changes one grid cell of a per-token layer; a lost
    # prefix or transposed grid would move it
    model = _loaded(_tiny(2), (32, 32), target_layer="blocks.0.ln_1")
    assert model.head.token_prefix == 2
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    changed = x.clone()
    changed[..., :8, 24:] += 1
    mapper = make_mapper(model, "gradcam")
    before, after = mapper.capture(x).activations, mapper.capture(changed).activations
    assert before.shape == (1, 16, 4, 4)
    moved = (after - before).abs().amax(dim=(0, 1))
    assert moved[0, 3] > 0
    moved[0, 3] = 0
    assert not moved.any()


def test_tiny_token_model_maps_are_on_the_grid():
    model = _loaded(_tiny(1), (32, 32))
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    _, maps = SharedPass(model, ["gradient", "gradcam", "layercam"])(x)
    for grid in maps.values():
        assert grid.shape == (2, 4, 4) and grid.abs().amax(dim=(1, 2)).min() > 0


def test_tokens_that_fit_no_grid_are_refused():
    with pytest.raises(ValueError, match="target_layer") as refused:
        inspect_head(_tiny(3), (32, 32))  # 3 prefix tokens: more than a class + distillation
    assert "fit no patch grid" in str(refused.value)
    with pytest.raises(ValueError, match="target_layer 'norm' outputs 19 tokens"):
        inspect_head(_tiny(3), (32, 32), target_layer="norm")


def test_given_token_layers_are_checked():
    model = _tiny(1)
    early = inspect_head(model, (32, 32), target_layer="blocks.0.ln_1")
    assert (early.feature_shape, early.token_prefix) == ((16, 4, 4), 1)
    # the last block's output reaches the head through the class token only
    with pytest.raises(ValueError, match=r"patch tokens of target_layer 'blocks\.1' do not reach"):
        inspect_head(model, (32, 32), target_layer="blocks.1")


def test_model_without_a_spatial_map_is_refused():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4)).eval()
    with pytest.raises(ValueError, match=r"no 4-D feature map.*target_layer"):
        inspect_head(mlp, (8, 8))


@pytest.mark.parametrize(
    ("name", "layer", "path", "classifier"),
    [
        ("resnet18", "layer4", "cam", "fc"),
        ("swin_t", "permute", "cam", "head"),  # channels-last stages, permuted before pooling
        ("convnext_tiny", "features", "gradient", None),  # LayerNorm after the pooling
    ],
)
def test_convolutional_heads_keep_their_layer(name, layer, path, classifier):
    head = load_model(name, weights=None).head
    assert (head.target_layer, head.head_path, head.classifier) == (layer, path, classifier)
    assert head.token_prefix is None and head.feature_shape[1:] == (7, 7)


def test_embedded_model_keeps_its_layer_and_maps(embedded_model):
    head = embedded_model.head
    assert (head.target_layer, head.head_path, head.classifier) == (
        "features",
        "cam",
        "network._fc",
    )
    assert head.token_prefix is None
    feature_map = torch.randn(1, 1280, 7, 7)
    assert head.to_grid(feature_map) is feature_map  # maps of 4-D layers pass through untouched
