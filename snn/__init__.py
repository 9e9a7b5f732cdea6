"""Rate-coded spiking network on MNIST with its second layer on the simulated array."""
