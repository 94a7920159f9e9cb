"""SeCAM: Segmentation Class Activation Mapping, and its comparison with LIME, CAM and Grad-CAM."""

__version__ = "0.1.0"
