// The little page behaviour htmx does not cover, written by hand (no build step). Every
// handler is delegated from the document, so rows and panels swapped in later work too.
(() => {
  "use strict";

  // The Move menu shows only the fields of the chosen action; the others are disabled as
  // well as hidden, so they are neither required nor sent.
  function showMoveFields() {
    const action = document.getElementById("move-action");
    if (!action) return;
    for (const part of document.querySelectorAll("#move .extra")) {
      const on = part.dataset.action.split(" ").includes(action.value);
      part.hidden = !on;
      for (const field of part.querySelectorAll("input, select")) field.disabled = !on;
    }
  }

  // Rows a Move took out of the list stay a few seconds to show their result, then go.
  function dropLeavingRows() {
    for (const row of document.querySelectorAll("tr.leaving:not([data-leaving])")) {
      row.dataset.leaving = "yes";
      setTimeout(() => {
        row.classList.add("gone");
        setTimeout(() => row.remove(), 400);
      }, 4000);
    }
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches(".pick-all")) {
      for (const box of document.querySelectorAll('#rows input[name="id"]')) {
        box.checked = target.checked;
      }
    } else if (target.id === "move-action") {
      showMoveFields();
    }
  });

  document.addEventListener("htmx:after:swap", () => {
    dropLeavingRows();
    // A filter change redraws the Move menu with the rows.
    showMoveFields();
    // A fresh list starts with nothing selected.
    for (const all of document.querySelectorAll(".pick-all")) all.checked = false;
  });

  showMoveFields();
})();
