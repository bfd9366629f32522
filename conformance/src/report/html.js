// Copy buttons for reproduce lines, and every failing cell opened for printing. The page
// reads without this script: it only shows the buttons it makes work.
for (const button of document.querySelectorAll('button.copy')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.text);
      button.textContent = 'Copied';
    } catch (e) {
      const line = button.parentElement.querySelector('code.repro-line');
      const range = document.createRange();
      range.selectNodeContents(line);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
  });
}
const openAll = document.getElementById('open-failures');
const failing = document.querySelectorAll('details.failing');
if (openAll && failing.length > 0) {
  openAll.hidden = false;
  openAll.addEventListener('click', () => failing.forEach((d) => { d.open = true; }));
}
window.addEventListener('beforeprint', () => {
  document.querySelectorAll('details.failing, details.failing details').forEach((d) => { d.open = true; });
});
// A link to a clause's row (`matrix.html#LC-STOP-3`) opens its failing cells.
function openLinkedRow() {
  const row = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (row) {
    row.querySelectorAll('details.failing').forEach((d) => {
      d.open = true;
      const first = d.querySelector('details.case');
      if (first) first.open = true;
    });
    row.scrollIntoView();
  }
}
window.addEventListener('hashchange', openLinkedRow);
openLinkedRow();
// How wide the page is drawn beside how wide the screen is: a check of the layout that
// tests read from the DOM (nothing but the tables' scrolling boxes may be wider).
document.documentElement.dataset.scrollWidth = document.documentElement.scrollWidth;
document.documentElement.dataset.viewportWidth = window.innerWidth;
