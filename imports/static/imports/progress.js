// Follows a running import: updates the bar and its label, and reloads the page when the
// work is done so that the preview or the result appears.
(function () {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = document.getElementById("import-progress-bar");
  const label = document.getElementById("import-progress-label");
  const number = (n) => n.toLocaleString();

  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = await response.json();
        if (!job.running || job.stalled) {
          window.location.reload();
          return;
        }
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        label.textContent = job.state === "queued"
          ? "Waiting for a worker to " + (job.confirmed ? "import" : "check") + " the file…"
          : job.state_label + ": " + number(job.rows_done) + " of " + number(job.rows_total) +
            " rows (" + job.percent + "%)";
      }
    } catch (error) {
      // A dropped connection is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
