// a factor in several categories: one segment of its disc per category (vis-network's custom
// renderer). coloursOf(id) gives the segments' colours, dark() whether the page is on black,
// network() the vis.Network the node is drawn in.
function segmentRenderer(coloursOf, dark, network) {
  return function ({ctx, id, x, y, state, style}) {
    const r = style.size;
    return {
      drawNode() {
        const colours = coloursOf(id);
        const step = (2 * Math.PI) / colours.length;
        colours.forEach((c, i) => {
          ctx.beginPath();
          ctx.moveTo(x, y);
          ctx.arc(x, y, r, -Math.PI / 2 + i * step, -Math.PI / 2 + (i + 1) * step);
          ctx.closePath();
          ctx.fillStyle = c;
          ctx.fill();
        });
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.lineWidth = state.selected || state.hover ? 3 : 1;
        ctx.strokeStyle = state.selected || state.hover ? (dark() ? "#ffffff" : "#000000") : (dark() ? "#000000" : "#ffffff");
        ctx.stroke();
      },
      drawExternalLabel() {
        const node = network().body.nodes[id];
        node.labelModule.draw(ctx, x, y + r + 3, state.selected, state.hover, "hanging");
        node.shape.boundingBox.bottom = Math.max(y + r, node.labelModule.size.top + node.labelModule.size.height);
        node.shape.boundingBox.left = Math.min(x - r, node.labelModule.size.left);
        node.shape.boundingBox.right = Math.max(x + r, node.labelModule.size.left + node.labelModule.size.width);
      },
      nodeDimensions: {width: 2 * r, height: 2 * r}
    };
  };
}
