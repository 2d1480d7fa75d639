/* The search page: Pagefind's default UI, with every query folded the way
   the index's hidden copies are (newsgen.text.search_fold), so that "dai hoi
   dong" and "Đại hội đồng" ask the same question. */
"use strict";

/** Lower case, no combining marks, đ -> d: the same steps, in the same order, as search_fold in Python. */
function searchFold(text) {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d").normalize("NFC");
}

(function () {
  if (typeof document === "undefined") return; // loaded outside a browser, to test searchFold
  const box = document.getElementById("search");
  if (!box) return;
  const show = (which) => {
    for (const message of box.querySelectorAll("[data-when]")) message.hidden = message.dataset.when !== which;
  };
  // Browsers refuse to fetch the index of a page opened from disk.
  if (location.protocol === "file:") return show("from-disk");
  if (typeof PagefindUI === "undefined") return show("no-index");
  show(null);
  const root = new URL(box.dataset.root, location.href);
  const ui = new PagefindUI({
    element: "#search-ui",
    baseUrl: new URL(".", root).pathname,
    processTerm: searchFold,
    showImages: false,
    autofocus: true,
  });
  const query = new URLSearchParams(location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
