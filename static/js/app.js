// ShopOps page behaviour, kept out of the HTML: the Content-Security-Policy allows scripts from this site's static
// files only (no inline <script>, no on*= attributes).
"use strict";

// <select data-autosubmit>: choosing an option submits its form (language switch, count location filter).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.requestSubmit();
  }
});

// <button data-print>: print the page (the picking list).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// <details data-open-when-wide>: the site menu is one button on a phone and a row of links on a wider screen.
const wideScreen = window.matchMedia("(min-width: 768px)");
function openMenusWhenWide() {
  for (const menu of document.querySelectorAll("details[data-open-when-wide]")) {
    menu.open = wideScreen.matches;
  }
}
document.addEventListener("DOMContentLoaded", openMenusWhenWide);
wideScreen.addEventListener("change", openMenusWhenWide);

// <button data-confirm="…">: ask before a step that cannot be undone (cancelling a purchase request); the server
// does the step only if the form is sent, so without scripts the button works as before.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
