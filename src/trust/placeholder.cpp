// replaced by the trust layer
