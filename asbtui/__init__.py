"""asbtui: anti-social behaviour casework for police Community Safety Units."""

__version__ = "0.1.0"
