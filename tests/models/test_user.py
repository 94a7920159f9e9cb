"""A researcher's own classifier from a ``package.module:function`` factory: its weights file is
loaded safely (``weights_only``), a pickle that runs code is refused."""

import pytest
import torch

from secam.errors import InputError
from secam.models import UntrustedWeightsError, load_model

from ..conftest import FACTORY
from ..user_models import TinyClassifier, plant_code_running_weights


def test_a_factory_model_loads_its_weights_file_safely(tiny, tmp_path):
    trained = TinyClassifier()
    torch.nn.init.normal_(trained.fc.weight)
    weights = tmp_path / "tiny.pt"
    torch.save(trained.state_dict(), weights)
    model = load_model(FACTORY, weights=str(weights))
    assert torch.equal(model.module.fc.weight, trained.fc.weight)
    assert model.weights.startswith("sha256:")
    assert torch.equal(load_model(FACTORY, weights=None).module.fc.weight, tiny.fc.weight)

    marker = tmp_path / "ran"
    planted = plant_code_running_weights(tmp_path / "planted.pt", marker)
    with pytest.raises(UntrustedWeightsError, match="weights_only"):
        load_model(FACTORY, weights=str(planted))
    assert not marker.exists()
    with pytest.raises(InputError, match="cannot import"):
        load_model("no_such_package.nets:build")
    other = tmp_path / "other.pt"
    torch.save(TinyClassifier(classes=3).state_dict(), other)
    with pytest.raises(InputError, match=r"does not fit model factory .*size mismatch"):
        load_model(FACTORY, weights=str(other))
