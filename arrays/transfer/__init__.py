"""Weight transfer of a network layer into a simulated array, cached; ``python -m arrays.transfer`` is the main job.

The library is `transfer_layer` with its `TransferSpec` (`arrays.transfer.layer`) and the writers of
its results (`arrays.transfer.outputs`). The command itself (the power study of paper 001, or with
``--weights`` one transfer) lives in `power.main_job`, which sits above the network and power code it runs.
"""
from arrays.transfer.layer import TRANSFER_COLUMNS, LayerTransfer, TransferSpec, transfer_layer
from arrays.transfer.outputs import write_figures, write_layer_tables, write_transfer

__all__ = ["TRANSFER_COLUMNS", "LayerTransfer", "TransferSpec", "transfer_layer", "write_figures",
           "write_layer_tables", "write_transfer"]
