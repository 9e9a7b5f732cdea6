"""Crossbar arrays: netlist generation, read-out and weight transfer (half-bias and fast schemes)."""
