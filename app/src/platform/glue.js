// Piazza's page glue: the few things that must happen inside the page, in the same
// event that caused them, so that nothing the person types or sees can race the app.
// Messages to the app go through `dioxus.send`; the app calls `window.piazza.*`.
//
// - Composer: Enter (without Shift, outside an IME composition) or a click on the send
//   button takes the text AND clears the field in the same event. Keystrokes that come
//   after Enter are queued behind it by the page, so they land in the cleared field and
//   belong to the next message: none is lost, doubled or merged.
// - Message list: it follows the newest message while the person is at the bottom
//   ("sticky"), even during a burst; when they have scrolled up, new or older rows keep
//   what they are reading in place. Reaching the top asks for older messages.
// - Window focus, for notifications and the unread count in the title.
// - The hosted room's "Copy" button (the clipboard wants the person's own click).
(() => {
  if (window.piazza) return;
  const send = (message) => dioxus.send(message);

  // ---- composer ------------------------------------------------------------------
  const MAX_ROWS_PX = 160;
  const autosize = (el) => {
    el.style.height = "auto";
    el.style.height = Math.min(el.scrollHeight + 2, MAX_ROWS_PX) + "px";
  };
  const submit = (el) => {
    const text = el.value;
    el.value = "";
    autosize(el);
    // Tell the app the draft is empty now, in order with the keystrokes around it.
    el.dispatchEvent(new Event("input", { bubbles: true }));
    if (text.trim() !== "") send({ send: text });
    keepBottom();
  };
  document.addEventListener(
    "keydown",
    (e) => {
      const el = e.target;
      if (!el || el.id !== "composer-input") return;
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      if (el.dataset.stopped === "true") return;
      submit(el);
    },
    true,
  );
  document.addEventListener(
    "click",
    (e) => {
      const button = e.target && e.target.closest && e.target.closest("#send-button");
      if (!button) return;
      e.preventDefault();
      const el = document.getElementById("composer-input");
      if (!el || el.dataset.stopped === "true") return;
      submit(el);
      el.focus();
    },
    true,
  );
  // The hosted room's invite: "Copy" copies it in the click itself (a clipboard write
  // must come from the person's gesture), and says so until the link is copied again.
  document.addEventListener(
    "click",
    (e) => {
      const button = e.target && e.target.closest && e.target.closest("#share-copy");
      if (!button) return;
      const link = document.getElementById("share-link");
      if (!link) return;
      link.focus();
      link.select();
      let copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (_) {
        copied = false;
      }
      button.dataset.copied = copied ? "true" : "false";
    },
    true,
  );
  // A draft per room: switching rooms puts back what was being written there.
  const drafts = new Map();
  let composerRoom = null;
  const restoreDraft = () => {
    const el = document.getElementById("composer-input");
    const room = el ? el.dataset.room : null;
    if (!el || room === composerRoom) return;
    composerRoom = room;
    const draft = drafts.get(room) || "";
    if (draft && el.value === "") {
      el.value = draft;
      autosize(el);
      el.dispatchEvent(new Event("input", { bubbles: true }));
    }
  };
  document.addEventListener(
    "input",
    (e) => {
      if (e.target && e.target.id === "composer-input") {
        drafts.set(e.target.dataset.room, e.target.value);
        autosize(e.target);
        keepBottom();
      }
    },
    true,
  );

  // ---- message list ----------------------------------------------------------------
  const SLACK_PX = 48;
  const TOP_PX = 160;
  let sticky = true;
  let topArmed = true;
  let anchor = null; // the first row in view: { key, top } relative to the viewport
  const list = () => document.getElementById("messages");
  const atBottom = (l) => l.scrollHeight - l.scrollTop - l.clientHeight <= SLACK_PX;
  const remember = (l) => {
    anchor = null;
    for (const row of l.querySelectorAll("[data-key]")) {
      if (row.offsetTop + row.offsetHeight > l.scrollTop) {
        anchor = { key: row.dataset.key, top: row.offsetTop - l.scrollTop };
        return;
      }
    }
  };
  const setSticky = (value) => {
    if (value !== sticky) {
      sticky = value;
      send({ sticky: value });
    }
  };
  const keepBottom = () => {
    const l = list();
    if (l && sticky) l.scrollTop = l.scrollHeight;
  };
  const follow = () => {
    const l = list();
    if (!l) return;
    if (sticky) {
      l.scrollTop = l.scrollHeight;
    } else if (anchor) {
      const row = l.querySelector(`[data-key="${CSS.escape(anchor.key)}"]`);
      if (row) l.scrollTop = row.offsetTop - anchor.top;
    }
  };
  document.addEventListener(
    "scroll",
    (e) => {
      const l = e.target;
      if (!l || l.id !== "messages") return;
      setSticky(atBottom(l));
      remember(l);
      if (l.scrollTop <= TOP_PX && topArmed && l.scrollHeight > l.clientHeight) {
        topArmed = false;
        send({ top: true });
      } else if (l.scrollTop > TOP_PX * 2) {
        topArmed = true;
      }
    },
    true,
  );
  // Rows change (new messages, older pages, delivery states): follow or stay in place,
  // before the page is painted.
  new MutationObserver(() => {
    restoreDraft();
    follow();
  }).observe(document.body, {
    childList: true,
    subtree: true,
    characterData: true,
  });
  new ResizeObserver(follow).observe(document.documentElement);

  // ---- window focus ----------------------------------------------------------------
  const focus = () => send({ focus: document.hasFocus() && document.visibilityState === "visible" });
  window.addEventListener("focus", focus);
  window.addEventListener("blur", focus);
  document.addEventListener("visibilitychange", focus);

  window.piazza = {
    toBottom() {
      sticky = true;
      const l = list();
      if (l) l.scrollTop = l.scrollHeight;
      send({ sticky: true });
    },
    rearmTop() {
      topArmed = true;
      const l = list();
      if (l && l.scrollTop <= TOP_PX && l.scrollHeight > l.clientHeight) {
        topArmed = false;
        send({ top: true });
      }
    },
    focusComposer(onlyIfUnfocused) {
      // After the render that shows the room (a closing form must not take it back);
      // not while a dialog is open (the add-room form keeps the typing until it closes).
      // A composer just shown takes the focus only if nothing else has it: the person
      // may already have clicked somewhere since.
      requestAnimationFrame(() => {
        const el = document.getElementById("composer-input");
        if (!el || document.querySelector('[aria-modal="true"]')) return;
        const active = document.activeElement;
        if (onlyIfUnfocused && active && active !== document.body) return;
        el.focus();
      });
    },
  };
  focus();
})();
