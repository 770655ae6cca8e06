// The bulk-enrol form: the Section list holds only the chosen course's sections, fetched
// when a course is chosen. Without JavaScript it stays at the course's default section.
// Whenever the course, section, role or choice for inactive people changes, the facts at
// the top say what enrolling will do (the action answers a "plan" request with them).
(function () {
  "use strict";

  function setup() {
    const course = document.getElementById("id_course");
    const section = document.getElementById("id_section");
    const form = course && course.closest("form[data-sections-url]");
    if (!form || !section) return;
    const urlFor = function (id) {
      return form.dataset.sectionsUrl.replace("/0/", "/" + encodeURIComponent(id) + "/");
    };
    const defaultLabel = section.options.length ? section.options[0].text : "";

    function fill() {
      const keep = section.value;
      while (section.options.length > 1) section.remove(1);
      if (!course.value) return;
      section.disabled = true;
      fetch(urlFor(course.value), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : { sections: [] };
        })
        .then(function (data) {
          data.sections.forEach(function (item) {
            if (item.is_default) return; // the empty choice already means the default section
            const option = new Option(item.name, item.id);
            option.selected = String(item.id) === keep;
            section.add(option);
          });
        })
        .catch(function () {
          section.options[0].text = defaultLabel + " (sections could not be loaded)";
        })
        .finally(function () {
          section.disabled = false;
        });
    }

    const facts = document.querySelector(".bulk-facts");

    function showPlan() {
      if (!course.value || !facts) return;
      const body = new FormData(form);
      body.set("plan", "yes");
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : { facts: [] };
        })
        .then(function (data) {
          if (!data.facts.length) return;
          facts.replaceChildren.apply(
            facts,
            data.facts.map(function (text) {
              const item = document.createElement("li");
              item.textContent = text;
              return item;
            }),
          );
        })
        .catch(function () {});
    }

    course.addEventListener("change", fill);
    form.addEventListener("change", showPlan);
    if (course.value && section.options.length <= 1) fill();
    showPlan();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
