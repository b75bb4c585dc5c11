"""Draws the example brand's logo (examples/assets/aurora-logo.png); run once, output committed."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).parents[1] / "src/creative_automation/fonts/NotoSans-Bold.ttf"
OUT = Path(__file__).parent / "assets/aurora-logo.png"
INK = (43, 27, 23, 255)  # espresso brown, the brand's primary
SUN = (224, 122, 46, 255)  # accent

scale = 4  # draw large, then reduce: anti-aliased edges
w, h = 520 * scale, 140 * scale
img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
r = 56 * scale
cx, cy = 70 * scale, h // 2
d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=INK)
d.pieslice((cx - r * 0.62, cy - r * 0.3, cx + r * 0.62, cy + r * 0.94), 180, 360, fill=SUN)
for i in range(3):  # the sun's reflection: three shortening bars under the horizon
    y = cy + r * (0.42 + 0.17 * i)
    half = r * (0.55 - 0.14 * i)
    d.rounded_rectangle((cx - half, y, cx + half, y + 6 * scale), radius=3 * scale, fill=SUN)
font = ImageFont.truetype(str(FONT), 78 * scale)
d.text((150 * scale, cy), "AURORA", font=font, fill=INK, anchor="lm")
img.resize((w // scale, h // scale), Image.Resampling.LANCZOS).save(OUT, optimize=True)
print(OUT)
