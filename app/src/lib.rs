//! Piazza app.
