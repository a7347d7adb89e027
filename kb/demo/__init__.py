"""Demo traffic: realistic conversations through recommend and feedback (`kb simulate`)."""
