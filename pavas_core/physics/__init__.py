"""Physics Parameter Estimation: objects, mass, geometry, speed and impacts."""
