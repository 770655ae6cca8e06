// The Active/Inactive switch: a confirmation dialog, then the service, then the row updates
// in place. Without JavaScript the switch is a link to a confirmation page.
(function () {
  "use strict";

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // What the server said, as {ok, error, ...}. Refusals come as JSON with a plain message;
  // anything else (a sign-in page after the session ended, a CSRF failure page) gets a
  // message that says what happened, not "check your connection".
  function readAnswer(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") !== -1) {
      return response.json().then(function (data) {
        if (!response.ok && data.ok === undefined) data.ok = false;
        if (!data.ok && !data.error) data.error = describeStatus(response.status);
        return data;
      });
    }
    if (response.redirected && response.url.indexOf("/login/") !== -1) {
      return { ok: false, error: "Your session has ended. Sign in again, then retry." };
    }
    return { ok: false, error: describeStatus(response.status) };
  }

  function describeStatus(status) {
    if (status === 403) {
      return "You are not allowed to do that, or the page is out of date. Reload the page and try again.";
    }
    if (status === 404) return "This user no longer exists, or is not yours to manage.";
    if (status === 409) return "Someone else changed this user meanwhile. Reload the page.";
    if (status >= 500) return "Something went wrong on the server; nothing was changed. Try again later.";
    return "The change was not made (error " + status + "). Reload the page and try again.";
  }

  function copyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        const target = document.querySelector(button.dataset.copy);
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = "Copied";
        });
      });
    });
  }

  function setup() {
    copyButtons(document);
    document.querySelectorAll("button[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
    const dialog = document.getElementById("lifecycle-dialog");
    if (!dialog) return;
    const outcome = document.getElementById("lifecycle-outcome");
    const reason = document.getElementById("lifecycle-reason");
    const error = document.getElementById("lifecycle-error");
    const confirmButton = document.getElementById("lifecycle-confirm");
    let current = null;
    let sending = false;
    // On the card, the status line ("Inactive since ..."), the segments' note and the
    // buttons all follow the status: after a change, the card is read again when its
    // outcome is closed, so that every part of it is the server's.
    let reloadOnClose = false;

    function open(link) {
      current = link;
      const on = link.getAttribute("aria-checked") === "true";
      const name = link.dataset.name;
      document.getElementById("lifecycle-dialog-title").textContent =
        (on ? "Deactivate " : "Reactivate ") + name + "?";
      document.getElementById("lifecycle-dialog-text").textContent = on
        ? "They lose access at once; their enrolments and history are kept."
        : "They get access back at once, with every enrolment as it was. " +
          (link.dataset.email
            ? "A password reset link goes to their email."
            : "They have no email: you will see a temporary password to pass on, shown once.");
      reason.value = "";
      error.hidden = true;
      dialog.showModal();
      reason.focus();
    }

    // The row's badge (users page) or the card's, and the tabs' counts when the status
    // changed: the person moves from one tab to the other. A capped count ("10,000+") is
    // left as it is.
    function updateRow(link, data) {
      const before = link.dataset.status;
      const on = data.status === "active";
      link.setAttribute("aria-checked", on ? "true" : "false");
      link.dataset.status = data.status;
      const row = link.closest("tr");
      const badge = row ? row.querySelector(".status-badge") : document.querySelector(".user-card-status .status-badge");
      if (badge) {
        badge.textContent = data.status_label;
        badge.className = "status-badge status-" + data.status;
      }
      if (before !== data.status) {
        changeTabCount(before, -1);
        changeTabCount(data.status, 1);
      }
    }

    function changeTabCount(status, by) {
      const count = document.querySelector('[data-status-tab="' + status + '"] .count');
      if (!count || !/^[\d,]+$/.test(count.textContent.trim())) return;
      const value = parseInt(count.textContent.replace(/,/g, ""), 10) + by;
      count.textContent = Math.max(value, 0).toLocaleString("en-GB");
    }

    function showOutcome(data) {
      document.getElementById("lifecycle-outcome-text").textContent =
        data.message + (data.temporary_password ? "" : "");
      const box = document.getElementById("lifecycle-password");
      if (data.temporary_password) {
        document.getElementById("lifecycle-outcome-text").textContent = data.message;
        document.getElementById("lifecycle-password-value").textContent = data.temporary_password;
        document.getElementById("lifecycle-password-expiry").textContent = data.expires_label;
        box.hidden = false;
      } else {
        box.hidden = true;
      }
      outcome.showModal();
    }

    document.addEventListener("click", function (event) {
      const link = event.target.closest(".lifecycle-switch[data-url]");
      if (!link) return;
      event.preventDefault();
      open(link);
    });
    document.addEventListener("keydown", function (event) {
      const link = event.target.closest && event.target.closest(".lifecycle-switch[data-url]");
      if (link && event.key === " ") {
        event.preventDefault();
        open(link);
      }
    });
    document.getElementById("lifecycle-cancel").addEventListener("click", function () {
      dialog.close();
      if (current) current.focus();
    });
    document.getElementById("lifecycle-form").addEventListener("submit", function (event) {
      event.preventDefault();
      // One change per confirmation: a second click while the first is on its way would
      // only be refused (409) for asking the same change again.
      if (sending) return;
      sending = true;
      confirmButton.disabled = true;
      const link = current;
      const body = new URLSearchParams();
      body.set("reason", reason.value);
      body.set("expected_status", link.dataset.status);
      fetch(link.dataset.url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: body,
        credentials: "same-origin",
      })
        .then(readAnswer)
        .then(function (data) {
          if (!data.ok) {
            error.textContent = data.error;
            error.hidden = false;
            // Someone else changed them meanwhile: show the row as it now is.
            if (data.status && data.status_label) updateRow(link, data);
            return;
          }
          dialog.close();
          updateRow(link, data);
          if (!link.closest("tr")) reloadOnClose = true;
          showOutcome(data);
        })
        .catch(function () {
          error.textContent = "The change could not be sent. Check your connection and try again.";
          error.hidden = false;
        })
        .finally(function () {
          sending = false;
          confirmButton.disabled = false;
        });
    });
    outcome.addEventListener("close", function () {
      if (reloadOnClose) window.location.reload();
    });
    document.getElementById("lifecycle-outcome-close").addEventListener("click", function () {
      outcome.close();
      document.getElementById("lifecycle-password-value").textContent = "";
      if (current) current.focus();
    });
    document.getElementById("lifecycle-copy").addEventListener("click", function () {
      const value = document.getElementById("lifecycle-password-value").textContent;
      navigator.clipboard.writeText(value).then(function () {
        document.getElementById("lifecycle-copy").textContent = "Copied";
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
