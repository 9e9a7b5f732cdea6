"""Power of the array during inference, integrated over the simulator's own time points."""
