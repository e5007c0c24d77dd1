"""Chapter 4, inside a convolution: channels, receptive fields, stride, padding, overlap, parameter sharing, pooling.

image    a picture as numbers in channels, flattened; class scores -> softmax -> cross-entropy with a one-hot label
field    where each output neuron looks (kernel, stride, padding), the output size, feature maps
overlap  which pattern positions some receptive field sees whole, and two one-filter detectors trained on them
sharing  parameters of fully connected vs local fields vs convolution (real modules), AlphaGo's layers
shrink   subsampling vs pooling (observation 3), receptive-field growth through shrinking layers
"""
from core.convolution import field, image, overlap, sharing, shrink
from core.convolution.field import FieldConfig, FieldResult, edge_filter, out_size, run_field
from core.convolution.image import CHANNELS, ChannelsConfig, ChannelsResult, picture, run_channels, sun
from core.convolution.overlap import (OverlapConfig, OverlapResult, coverage_formula, covered_axis, image_side,
                                      run_overlap)
from core.convolution.sharing import (LAYERS, LocalFields, SharingConfig, SharingResult, alphago, count, run_sharing,
                                      three_layers)
from core.convolution.shrink import (GROWTH, ShrinkConfig, ShrinkResult, receptive_field, receptive_formula,
                                     run_shrink)

__all__ = ["field", "image", "overlap", "sharing", "shrink", "FieldConfig", "FieldResult", "edge_filter", "out_size",
           "run_field", "CHANNELS", "ChannelsConfig", "ChannelsResult", "picture", "run_channels", "sun",
           "OverlapConfig", "OverlapResult", "coverage_formula", "covered_axis", "image_side", "run_overlap",
           "LAYERS", "LocalFields", "SharingConfig", "SharingResult", "alphago", "count", "run_sharing", "three_layers",
           "GROWTH", "ShrinkConfig", "ShrinkResult", "receptive_field", "receptive_formula", "run_shrink"]
