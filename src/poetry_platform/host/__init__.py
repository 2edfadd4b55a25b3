"""Host detection: what this machine has (OS, libc, NVIDIA driver, CUDA, ROCm), by bounded
probes."""
