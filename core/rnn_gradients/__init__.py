"""Chapter 5, gradients through time: vanishing and exploding gradients, clipping, and two memory tasks.

flow      how large dL/dh_t is in a tanh RNN vs an LSTM (heatmap sweeps over scale / forget bias), the cell path
clipping  one exploding RNN trained without clipping, with clipping, and with a smaller learning rate
adding    the adding problem: a tanh RNN stalls at the baseline, an LSTM learns it (plus its gates)
echo      Elman (hidden state fed back) vs Jordan (output fed back) on echoing an older bit
memory    the memory cell step by step: a tiny trained Elman net labels the same word differently after
          "arrive" and "leave", because of what its hidden state holds
"""
from core.rnn_gradients.adding import (ADDING_BASELINE, AddingConfig, AddingResult, adding_batch,
                                       forget_between_marks, gate_story, lstm_gates, run_adding)
from core.rnn_gradients.clipping import (RUNS, SPIKE_FACTOR, ClipConfig, ClipResult, exit_step, low_lr_story,
                                         run_clipping)
from core.rnn_gradients.echo import (ECHO_BASELINE, FEEDBACK_EDGES, LEARNED, NEAR_CHANCE, EchoConfig, EchoResult,
                                     echo_verdict, run_echo)
from core.rnn_gradients.flow import (SWEEP_BIASES, SWEEP_LSTM_SCALES, SWEEP_SCALES, FlowConfig, FlowResult, crossing,
                                     run_gradient_flow, sweep_ratio)
from core.rnn_gradients.memory import LABELS, PAIR, WORDS, MemoryConfig, MemoryResult, run_memory, top_labels

__all__ = ["ADDING_BASELINE", "AddingConfig", "AddingResult", "adding_batch", "forget_between_marks", "gate_story",
           "lstm_gates", "run_adding",
           "RUNS", "SPIKE_FACTOR", "ClipConfig", "ClipResult", "exit_step", "low_lr_story", "run_clipping",
           "ECHO_BASELINE", "FEEDBACK_EDGES", "LEARNED", "NEAR_CHANCE", "EchoConfig", "EchoResult", "echo_verdict",
           "run_echo",
           "SWEEP_BIASES", "SWEEP_LSTM_SCALES", "SWEEP_SCALES", "FlowConfig", "FlowResult", "crossing",
           "run_gradient_flow", "sweep_ratio",
           "LABELS", "PAIR", "WORDS", "MemoryConfig", "MemoryResult", "run_memory", "top_labels"]
