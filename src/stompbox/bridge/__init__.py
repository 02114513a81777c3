"""The bridge process: sole owner of the engine connection, the LV2 catalog and JACK facts."""
