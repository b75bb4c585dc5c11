"""Pure image functions: decode/encode, saliency, crop/extend, typography, layout, render."""
