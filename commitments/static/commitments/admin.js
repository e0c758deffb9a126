// The commitment tracker's additions to the Django admin (no inline scripts: CSP).
"use strict";

// Under "Please correct the errors below", list each field in error as a link to it:
// on a long page the errors can sit far below the banner.
document.addEventListener("DOMContentLoaded", function () {
  const note = document.querySelector("#content-main .errornote");
  if (!note) {
    return;
  }
  const rows = document.querySelectorAll(".form-row.errors, td.field-errors, tr.errors");
  const list = document.createElement("ul");
  list.className = "error-jump";
  rows.forEach(function (row, index) {
    if (!row.id) {
      row.id = "error-" + (index + 1);
    }
    const label = row.querySelector("label");
    const heading = row.closest(".inline-related, fieldset");
    const where = heading && heading.querySelector("h2, h3");
    const link = document.createElement("a");
    link.href = "#" + row.id;
    link.textContent = [where ? where.textContent.trim() : "", label ? label.textContent.replace(/:$/, "").trim() : "field"]
      .filter(Boolean)
      .join(" › ");
    const item = document.createElement("li");
    item.appendChild(link);
    list.appendChild(item);
  });
  if (list.children.length) {
    note.appendChild(list);
  }
});

// The export page's "Select all" columns toggle (import-export wires it with an
// onchange attribute, which the site's CSP refuses).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function () {
      document
        .querySelectorAll('.selectable-field-export-row input[type="checkbox"]')
        .forEach(function (box) {
          box.checked = toggle.checked;
        });
    });
  });
});
