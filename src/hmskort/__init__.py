"""hmskort: issue and validate Norway's HMS-kort (HSE cards)."""
