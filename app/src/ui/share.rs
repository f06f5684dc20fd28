//! The host's invite: the link with a copy button, the QR code, the check code.

use dioxus::prelude::*;

use crate::{controller::host::Share, i18n::Lang};

/// What the host shows to let others in: the invite as a QR code and a link (the copy
/// button copies it inside the page, `platform/glue.js`), the certificate's check code
/// to read aloud, the port for the firewall.
#[component]
pub fn ShareDialog(
    /// Interface language.
    lang: Lang,
    /// The invite and its forms.
    share: Share,
    /// Close the dialog.
    on_close: EventHandler<()>,
) -> Element {
    rsx! {
        div { class: "dialog-backdrop", onclick: move |_| on_close.call(()) }
        div { class: "dialog share", id: "share-dialog", role: "dialog", "aria-modal": "true",
            h2 { "{lang.share_title()}" }
            div { class: "share-qr", id: "share-qr", dangerous_inner_html: "{share.qr_svg}" }
            p { class: "field-help", "{lang.share_qr_help()}" }
            div { class: "share-link",
                input {
                    id: "share-link",
                    r#type: "text",
                    readonly: true,
                    spellcheck: "false",
                    value: "{share.link}",
                    "aria-label": lang.share_title(),
                }
                button { id: "share-copy", r#type: "button",
                    span { class: "when-idle", "{lang.copy()}" }
                    span { class: "when-copied", "{lang.copied()}" }
                }
            }
            div { class: "share-code",
                span { class: "label", "{lang.check_code()}" }
                strong { id: "share-code", "{share.short_fingerprint}" }
            }
            p { class: "field-help", "{lang.check_code_help()}" }
            if share.on_network {
                p { class: "field-help", id: "share-port", "{lang.share_port(share.port)}" }
            } else {
                p { class: "field-error", id: "share-offline", role: "alert", "{lang.share_offline()}" }
            }
            div { class: "dialog-actions",
                button { class: "primary", id: "share-done", onclick: move |_| on_close.call(()), "{lang.done()}" }
            }
        }
    }
}

/// Asks before closing a hosted room while others are in it.
#[component]
pub fn CloseHostedDialog(
    /// Interface language.
    lang: Lang,
    /// How many others are online.
    others: usize,
    /// Close the room and the app.
    on_close: EventHandler<()>,
    /// Keep both open.
    on_keep: EventHandler<()>,
) -> Element {
    rsx! {
        div { class: "dialog-backdrop", onclick: move |_| on_keep.call(()) }
        div { class: "dialog", id: "close-hosted", role: "alertdialog", "aria-modal": "true",
            h2 { "{lang.close_hosted_title()}" }
            p { id: "close-hosted-text", "{lang.close_hosted_text(others)}" }
            div { class: "dialog-actions",
                button { id: "keep-open", onclick: move |_| on_keep.call(()), "{lang.keep_open()}" }
                button { class: "primary danger", id: "close-hosted-confirm", onclick: move |_| on_close.call(()),
                    "{lang.close_hosted()}"
                }
            }
        }
    }
}
