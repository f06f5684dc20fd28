// Typing ahead of a join. Enter (or the join button) on the join screen or in the
// add-room form starts a join; the chat's composer only comes once the relay answers.
// A person who goes on typing right after Enter would type into the form, and lose it
// when the form goes. So, from that Enter until the app has answered:
//
// - what is typed in the form is kept here, not in its fields (Enter ends a message,
//   Shift+Enter is a new line, Backspace takes back a character, paste pastes);
// - when the composer shows, the finished messages are sent in order and the rest is
//   left in the composer, which gets the focus in the same moment, so the next key
//   lands there too;
// - if the app refuses at once (the name is not valid), the text goes back into the
//   field it was typed in, as if Enter had not been pressed; if the relay refuses (the
//   name is taken), the text is kept as the draft for the next join.
//
// A form that starts joins carries `data-attempt` (how many times the app has handled
// a join request) and `data-joining` (the app is waiting for the relay).
(() => {
  if (window.piazzaTypeahead) return;
  window.piazzaTypeahead = true;

  let early = null; // { form, attempt, parts: [""], sawJoining, field }
  let carried = ""; // kept after the relay refused a join
  const formOf = (el) => (el && el.closest ? el.closest("[data-attempt]") : null);
  const isField = (el) => !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA");
  const last = () => early.parts.length - 1;
  const append = (text) => {
    early.parts[last()] += text;
  };
  const backspace = () => {
    const chars = [...early.parts[last()]];
    chars.pop();
    early.parts[last()] = chars.join("");
  };
  const begin = (form, field) => {
    settle();
    if (early) return; // still waiting for the last Enter
    early = {
      form: form.id,
      attempt: Number(form.dataset.attempt) + 1,
      parts: [""],
      sawJoining: false,
      field: isField(field) ? field : null,
    };
  };
  const input = (el) => el.dispatchEvent(new Event("input", { bubbles: true }));
  const giveBack = (parts) => {
    const text = parts.join("");
    const el = early.field;
    if (!text || !el || !el.isConnected) return;
    const end = el.value.length;
    el.setRangeText(text, el.selectionStart ?? end, el.selectionEnd ?? end, "end");
    input(el);
  };
  const handOver = (composer, parts) => {
    const stopped = composer.dataset.stopped === "true";
    // What waited since a refused join starts the first message.
    const draft = [carried + parts[0], ...parts.slice(1)];
    carried = "";
    // A stopped session sends nothing: everything waits in the draft.
    const finished = stopped ? [] : draft.splice(0, draft.length - 1);
    for (const text of finished) {
      if (text.trim() !== "") dioxus.send({ send: text });
    }
    const rest = draft.join("\n");
    if (rest !== "") {
      composer.value += rest;
      input(composer);
    }
    composer.focus();
    composer.setSelectionRange(composer.value.length, composer.value.length);
  };
  // Where the join stands; ends the typing ahead when the app has answered.
  const settle = () => {
    if (!early) return;
    const form = document.getElementById(early.form);
    if (form) {
      if (Number(form.dataset.attempt) < early.attempt) return; // not handled yet
      if (form.dataset.joining === "true") {
        early.sawJoining = true;
        return;
      }
      // Refused: at once by the app, or by the relay after waiting.
      if (early.sawJoining) {
        carried = [carried, ...early.parts].filter((p) => p !== "").join("\n");
      } else {
        giveBack(early.parts);
      }
      early = null;
      return;
    }
    const composer = document.getElementById("composer-input");
    if (!composer) return;
    const parts = early.parts;
    early = null;
    handOver(composer, parts);
  };
  const capturing = (target) => {
    settle();
    if (early && target && target.id === "composer-input") {
      // The focus reached the composer before the form went: what was kept comes
      // first, then this key.
      const parts = early.parts;
      early = null;
      handOver(target, parts);
      return false;
    }
    return !!early && formOf(target) === document.getElementById(early.form);
  };

  document.addEventListener(
    "keydown",
    (e) => {
      const form = formOf(e.target);
      if (!capturing(e.target)) {
        const starts =
          form && e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229;
        if (starts && isField(e.target)) begin(form, e.target);
        return;
      }
      if (e.isComposing || e.keyCode === 229) return;
      const take = () => {
        e.preventDefault();
        e.stopImmediatePropagation();
      };
      if (e.key === "Enter") {
        if (e.shiftKey) append("\n");
        else early.parts.push("");
        take();
      } else if (e.key === "Backspace") {
        backspace();
        take();
      } else if (!isField(e.target) && !e.ctrlKey && !e.metaKey && [...e.key].length === 1) {
        // A button has the focus (the join button was clicked): no input event follows.
        append(e.key);
        take();
      }
    },
    true,
  );
  document.addEventListener(
    "beforeinput",
    (e) => {
      if (!capturing(e.target)) return;
      const data = e.data ?? (e.dataTransfer ? e.dataTransfer.getData("text/plain") : null);
      if (e.inputType.startsWith("insert") && data) append(data);
      else if (e.inputType.startsWith("delete")) backspace();
      if (e.cancelable) e.preventDefault();
    },
    true,
  );
  document.addEventListener(
    "click",
    (e) => {
      const button = e.target && e.target.closest && e.target.closest("[data-submit]");
      const form = formOf(button);
      if (form && button.getAttribute("aria-disabled") !== "true") begin(form, null);
    },
    true,
  );
  new MutationObserver(settle).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-attempt", "data-joining"],
  });
})();
