"""Chapter 4, inside a convolution: channels, receptive fields, stride, padding, overlap, parameter sharing.

image    a picture as numbers in channels, flattened; class scores -> softmax -> cross-entropy with a one-hot label
field    where each output neuron looks (kernel, stride, padding), the output size, feature maps
overlap  which pattern positions some receptive field sees whole, and two one-filter detectors trained on them
sharing  parameter counts of real modules, receptive-field growth, subsampling vs pooling, AlphaGo's layers
"""
from core.convolution import field, image, overlap, sharing
from core.convolution.field import FieldConfig, FieldResult, edge_filter, out_size, run_field
from core.convolution.image import CHANNELS, ChannelsConfig, ChannelsResult, picture, run_channels
from core.convolution.overlap import (OverlapConfig, OverlapResult, coverage_formula, covered_axis, image_side,
                                      run_overlap)
from core.convolution.sharing import (GROWTH, SharingConfig, SharingResult, alphago, count, receptive_field,
                                      receptive_formula, run_sharing)

__all__ = ["field", "image", "overlap", "sharing", "FieldConfig", "FieldResult", "edge_filter", "out_size", "run_field",
           "CHANNELS", "ChannelsConfig", "ChannelsResult", "picture", "run_channels",
           "OverlapConfig", "OverlapResult", "coverage_formula", "covered_axis", "image_side", "run_overlap",
           "GROWTH", "SharingConfig", "SharingResult", "alphago", "count", "receptive_field", "receptive_formula",
           "run_sharing"]
