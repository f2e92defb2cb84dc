// replaced by the net layer
