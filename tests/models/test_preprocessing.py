import numpy as np


def test_whole_image_is_resized_without_crop(embedded_model):
    # a bright stripe at the right edge must survive: nothing is cropped away
    image = np.zeros((100, 400, 3), dtype=np.uint8)
    image[:, -20:] = 255
    x = embedded_model.preprocessing(image)
    assert x.shape == (1, 3, 224, 224)
    assert float(x[0, 0, :, -5:].mean()) > 0.9
