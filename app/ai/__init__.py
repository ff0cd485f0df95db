"""Local RWKV inference: tokenizers, checkpoint loading, one module per RWKV generation, sampling, generation.

Importing `app.ai` is cheap: torch is imported only by the modules that run a model, when first used.
"""
