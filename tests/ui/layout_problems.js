// The layout checks of tests/ui/test_browser_layout.py, run in the page: the problems of the
// tables and timelines under a selector, each as one line that says where.
(scope) => {
  const problems = [];
  const TOLERANCE = 1;
  const SHORT_WORD = 20;
  const visible = (el) => el.getClientRects().length > 0;
  const lineCount = (range) => {
    const tops = [];
    for (const rect of range.getClientRects()) {
      if (rect.width < 1) continue;
      if (!tops.some((top) => Math.abs(top - rect.top) < 6)) tops.push(rect.top);
    }
    return tops.length;
  };
  const lines = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return lineCount(range);
  };
  const name = (cell) => {
    const table = cell.closest('table');
    const head = table.tHead ? table.tHead.rows[0].cells[cell.cellIndex] : null;
    const owner = table.id || (table.closest('[id]') || {}).id || 'table';
    const row = cell.parentElement.rowIndex;
    return `${owner} row ${row} column "${head ? head.textContent.trim() : cell.cellIndex}"`;
  };
  const textNodes = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const found = [];
    while (walker.nextNode()) if (walker.currentNode.data.trim()) found.push(walker.currentNode);
    return found;
  };
  // A cut cell (never one with a time) is fine when a title holds what it cuts: each piece
  // of its text is in the cell's or a descendant's title, or sits in an element of the cell
  // that has a title.
  const explained = (cell) => {
    const titled = [cell, ...cell.querySelectorAll('[title]')];
    const titles = titled.map((el) => el.getAttribute('title') || '').join('\n');
    return textNodes(cell).every((node) => {
      if (titles.includes(node.data.trim())) return true;
      for (let el = node.parentElement; el && el !== cell; el = el.parentElement) {
        if (el.title) return true;
      }
      return false;
    });
  };
  // A word split between two letters or digits ("uplin|k", "sessio|n"); a break after a
  // hyphen or a slash is where a reader would split it too.
  const alnum = /[\p{L}\p{N}]/u;
  const midWord = (node, start, length) => {
    let previous = null;
    for (let i = start; i < start + length; i += 1) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (previous !== null && Math.abs(rect.top - previous) >= 6
          && alnum.test(node.data[i - 1]) && alnum.test(node.data[i])) return true;
      previous = rect.top;
    }
    return false;
  };
  const root = document.querySelector(scope);
  const page = document.documentElement.scrollWidth;
  if (page > window.innerWidth + TOLERANCE) {
    problems.push(`the page scrolls sideways: ${page} px in ${window.innerWidth}`);
  }
  for (const table of root.querySelectorAll('table')) {
    if (!visible(table)) continue;
    const box = table.parentElement;
    if (table.offsetWidth > box.clientWidth + TOLERANCE) {
      const owner = table.id || box.id || 'a table';
      problems.push(`${owner} is ${table.offsetWidth} px wide in a box of ${box.clientWidth}`);
    }
    for (const cell of table.querySelectorAll('th, td')) {
      if (!visible(cell)) continue;
      const text = cell.textContent.trim().replace(/\s+/g, ' ');
      if (cell.scrollWidth > cell.clientWidth + TOLERANCE) {
        const style = getComputedStyle(cell);
        const cut = style.overflowX !== 'visible' && style.textOverflow === 'ellipsis';
        const widths = `${cell.scrollWidth} > ${cell.clientWidth} px`;
        if (!cut) problems.push(`${name(cell)} spills over (${widths}): ${text}`);
        else if (cell.querySelector('time')) problems.push(`${name(cell)} cuts a time: ${text}`);
        else if (!explained(cell)) problems.push(`${name(cell)} is cut, no title has it: ${text}`);
      }
      if (cell.tagName === 'TH' && lines(cell) > 1) {
        problems.push(`${name(cell)} header wraps: ${text}`);
      }
      for (const node of textNodes(cell)) {
        for (const word of node.data.matchAll(/\S+/g)) {
          if (word[0].length > SHORT_WORD) continue;
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          if (lineCount(range) > 1 && midWord(node, word.index, word[0].length)) {
            problems.push(`${name(cell)} splits the word "${word[0]}"`);
          }
        }
      }
    }
  }
  for (const svg of root.querySelectorAll('svg')) {
    if (!visible(svg)) continue;
    const outer = svg.parentElement.getBoundingClientRect();
    const drawn = svg.getBoundingClientRect();
    if (drawn.right > outer.right + TOLERANCE) problems.push(`the timeline is wider than its box`);
    const width = svg.viewBox.baseVal.width;
    for (const label of svg.querySelectorAll('text')) {
      const bounds = label.getBBox();
      if (bounds.x < -TOLERANCE || bounds.x + bounds.width > width + TOLERANCE) {
        problems.push(`timeline label "${label.textContent}" is cut at the edge`);
      }
    }
  }
  return problems;
}
