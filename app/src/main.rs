//! `piazza [INVITE]`: opens the Piazza chat window.
//!
//! An invite given as the first argument pre-fills the invite field (like
//! `PIAZZA_INVITE`). See the library's documentation for the other variables.

fn main() {
    let mut args = std::env::args().skip(1);
    if let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!(
                "Usage: piazza [INVITE]\n\n\
                 Opens the Piazza chat. INVITE (e.g. piazza://host:4433/classe-3b?fp=...) pre-fills\n\
                 the relay field.\n\n\
                 Environment: PIAZZA_INVITE, PIAZZA_DATA_DIR, PIAZZA_LANG=it|en, PIAZZA_NOTIFY=0"
            );
            return;
        }
        // Single-threaded here: nothing else reads the environment yet.
        std::env::set_var(app::controller::startup::INVITE_ENV, arg);
    }
    app::launch();
}
