"""Chapter 4, CNNs: pooling versus no pooling, and why CNNs need data augmentation.

Two CNNs identical but for their 2x2 pooling train side by side on a "what" task (which shape,
anywhere) and a Go-like "where" task (exact position): pooling cuts later layers' multiply-adds
4x and costs little on "what", but on "where" the pooled net stays near chance. Then a CNN
trained on upright shapes fails on rotated/zoomed ones until trained with augmentation.

    data.py          the images: shapes ("what"), stones ("where"), warps, tidy pixels
    cnn.py           the CNN and the loop that trains several nets on the same batches
    compare.py       pooling vs no pooling: run_pooling
    augmentation.py  rotation/zoom invariance with and without augmentation: run_invariance
    transformer.py   a spatial transformer layer in front of the same CNN: run_transformer
"""
from core.pooling.augmentation import INV_SIZE, N_GRID, InvarianceConfig, InvarianceResult, run_invariance
from core.pooling.cnn import BATCH, CNN, HISTORY_COLS, N_EVAL, train_together
from core.pooling.compare import N_TEST, POOLS, TASKS, PoolingConfig, PoolingResult, run_pooling
from core.pooling.data import SHAPES, class_names, make_shapes, make_stones, make_task
from core.pooling.transformer import STN, TRAIN_ON, TransformerConfig, TransformerResult, run_transformer

__all__ = ["POOLS", "TASKS", "N_TEST", "PoolingConfig", "PoolingResult", "run_pooling",
           "INV_SIZE", "N_GRID", "InvarianceConfig", "InvarianceResult", "run_invariance",
           "TRAIN_ON", "STN", "TransformerConfig", "TransformerResult", "run_transformer",
           "CNN", "train_together", "N_EVAL", "BATCH", "HISTORY_COLS",
           "SHAPES", "class_names", "make_task", "make_shapes", "make_stones"]
